-- Migration 0001: the initial schema. Written in the SQL subset that runs unchanged on MySQL 8.0 and 8.4
-- (Amazon RDS) and MariaDB 10.11 (the local server). CREATE ... IF NOT EXISTS, so that a database created by the
-- schema.sql of earlier versions adopts the migration history without change.

CREATE TABLE IF NOT EXISTS inventory (
    product_id         VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
    product_name       VARCHAR(255) NOT NULL,
    quantity_available INT          NOT NULL,
    updated_at         DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (product_id),
    -- The last line of defence against overselling: the transaction checks first, this makes it impossible.
    CONSTRAINT chk_inventory_quantity_non_negative CHECK (quantity_available >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS orders (
    order_id       VARCHAR(36)  COLLATE utf8mb4_bin NOT NULL,
    customer_id    VARCHAR(64)  NOT NULL,
    items          JSON         NOT NULL,
    status         ENUM('PENDING','PROCESSED','FAILED') NOT NULL DEFAULT 'PENDING',
    -- Why an order FAILED (insufficient stock, unknown product); NULL otherwise.
    failure_reason VARCHAR(500) NULL,
    -- When the Api accepted the order (the OrderCreated timestamp), not when the Processor recorded it.
    created_at     DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    processed_at   DATETIME(6)  NULL,
    PRIMARY KEY (order_id),
    KEY ix_orders_customer (customer_id, created_at),
    KEY ix_orders_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Transactional outbox: events written in the same transaction as the state change they announce,
-- published after commit, and by the relay for whatever a crash left unpublished.
CREATE TABLE IF NOT EXISTS outbox (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    message_id   VARCHAR(36)  COLLATE utf8mb4_bin NOT NULL,
    destination  VARCHAR(100) COLLATE utf8mb4_bin NOT NULL,
    event_type   VARCHAR(100) COLLATE utf8mb4_bin NOT NULL,
    payload      JSON         NOT NULL,
    traceparent  VARCHAR(55)  NULL,
    tracestate   VARCHAR(512) NULL,
    created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    published_at DATETIME(6)  NULL,
    attempts     INT          NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    UNIQUE KEY uq_outbox_message (message_id),
    KEY ix_outbox_unpublished (published_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The Notifier's record of what it has already announced, so a redelivered OrderProcessed is logged once.
CREATE TABLE IF NOT EXISTS notifications (
    order_id    VARCHAR(36) COLLATE utf8mb4_bin NOT NULL,
    status      ENUM('PENDING','PROCESSED','FAILED') NOT NULL,
    notified_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
