-- Migration 0004: room in the outbox for a queue URL, not only a queue name. In AWS the Processor is given the
-- order-processed queue's URL (the template's !Ref), which is over 100 characters for a long environment name in a
-- long region name (https://sqs.ap-southeast-2.amazonaws.com/<account>/<31 characters>-order-processed is 101). SQS
-- names are at most 80 characters; 1024 leaves room for any endpoint's host. Rerunnable: MODIFY sets the same column
-- again. Widening a VARCHAR whose length already takes two bytes is done in place by MySQL 8 and MariaDB 10.11.

ALTER TABLE outbox
    MODIFY COLUMN destination VARCHAR(1024) COLLATE utf8mb4_bin NOT NULL;
