-- The reporting database topologies/examples/reporting.ts writes (docs/writing-topologies.md).
-- Run as a user who may create databases and grant, e.g. on the local stack's b:
--   mariadb -h 127.0.0.1 -P 3308 -u root < topologies/examples/reporting.sql
-- The tables have the columns the topology's routes give them: rooms as in chat.rooms; messages
-- with chat.messages.body as `text` and without `meta`. Each keeps its primary key and
-- `updated_at DATETIME(6)`, which Tandem's sink compares (last-writer-wins). No foreign keys: the
-- tables are fed in separate streams, so a message may arrive before its room.
CREATE DATABASE IF NOT EXISTS reporting CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON reporting.* TO 'tandem'@'%';

CREATE TABLE IF NOT EXISTS reporting.rooms (
  id          BIGINT        NOT NULL,
  name        VARCHAR(100)  NOT NULL,
  topic       VARCHAR(255)  NULL,
  is_private  TINYINT(1)    NOT NULL DEFAULT 0,
  created_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS reporting.messages (
  id          BIGINT        NOT NULL,
  room_id     BIGINT        NOT NULL,
  author_id   BIGINT        NOT NULL,
  text        TEXT          NOT NULL,
  tip         DECIMAL(12,4) NULL,
  sent_at     DATETIME(6)   NOT NULL,
  edited_at   DATETIME(6)   NULL,
  updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_messages_room_sent (room_id, sent_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
