-- The services' own database users in AWS, applied by the migration step after the migrations only when
-- Migrations:CreateIamDatabaseUsers is true (the CloudFormation template sets it). MySQL on Amazon RDS only:
-- AWSAuthenticationPlugin exists nowhere else, which is why this is not a migration in db/migrations (those run on
-- the local MariaDB too). Each user signs in with an IAM token (no password exists) through RDS Proxy, over TLS, and
-- holds only the grants its service needs. Re-run on every deployment: CREATE USER IF NOT EXISTS, and GRANT adds
-- what is missing (a grant taken out of this file must be revoked by a statement here, it does not go by itself).
-- One statement per line group, each ending with a semicolon at the end of a line.

CREATE USER IF NOT EXISTS 'orderpipeline_api'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;
CREATE USER IF NOT EXISTS 'orderpipeline_processor'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;
CREATE USER IF NOT EXISTS 'orderpipeline_notifier'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;

-- Api: reads orders; writes its idempotency keys (table added by migration 0002).
GRANT SELECT ON orders.orders TO 'orderpipeline_api'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON orders.idempotency_keys TO 'orderpipeline_api'@'%';

-- Processor: writes orders, inventory and the outbox (the relay included); deletes published outbox rows past
-- their retention (OutboxCleanup).
GRANT SELECT, INSERT, UPDATE ON orders.orders TO 'orderpipeline_processor'@'%';
GRANT SELECT, UPDATE ON orders.inventory TO 'orderpipeline_processor'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON orders.outbox TO 'orderpipeline_processor'@'%';

-- Notifier: writes notifications; deletes those past their retention (NotificationCleanup).
GRANT SELECT, INSERT, DELETE ON orders.notifications TO 'orderpipeline_notifier'@'%';
