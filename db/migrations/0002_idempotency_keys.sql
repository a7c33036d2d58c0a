-- Migration 0002: the Idempotency-Keys the Api remembers, so that a retried POST names the same order and a key
-- reused for a different order is refused (issue 10, point 7). The Api's only write: everything else it reads.
-- One statement, CREATE ... IF NOT EXISTS, so that running the script again after a failure finishes the job.

CREATE TABLE IF NOT EXISTS idempotency_keys (
    -- Keys are scoped per customer: the same key from two customers names two orders. Binary collation: ids are
    -- compared exactly, so 'c-42' and 'C-42' are two customers, as they are everywhere else.
    customer_id         VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    -- 1-128 visible ASCII characters (checked by the Api).
    idempotency_key     VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    -- SHA-256 of the canonical form of the validated order at first use: a repeat with another body is refused.
    request_fingerprint BINARY(32)   NOT NULL,
    -- The order id issued at first use (a UUIDv7, like unkeyed orders, so it says when it was issued).
    order_id            VARCHAR(36)  COLLATE utf8mb4_bin NOT NULL,
    -- First use; the key is remembered for a stated period after it (Idempotency:KeyRetention, 24 h by default).
    created_at          DATETIME(6)  NOT NULL,
    PRIMARY KEY (customer_id, idempotency_key),
    -- GET /api/orders/{id} asks whether an id was issued for a key (accepted, not recorded yet).
    UNIQUE KEY uq_idempotency_keys_order (order_id),
    -- The cleanup deletes expired keys oldest first, in bounded batches.
    KEY ix_idempotency_keys_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
