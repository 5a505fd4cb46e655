-- Tandem's demo chat schema (database `chat`), used by the local stack, tests and benchmarks.
-- Idempotent: `make stack-up` applies it on every start. Every table has a primary key and
-- `updated_at DATETIME(6)`, which Tandem's last-writer-wins compares; applications set it to NOW(6)
-- on every write. Foreign keys have no ON DELETE CASCADE: cascaded changes are not in the binlog.

CREATE TABLE IF NOT EXISTS rooms (
  id          BIGINT        NOT NULL,
  name        VARCHAR(100)  NOT NULL,
  topic       VARCHAR(255)  NULL,
  is_private  TINYINT(1)    NOT NULL DEFAULT 0,
  created_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS members (
  room_id     BIGINT        NOT NULL,
  user_id     BIGINT        NOT NULL,
  nickname    VARCHAR(64)   NOT NULL,
  role        VARCHAR(16)   NOT NULL DEFAULT 'member',
  joined_at   DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (room_id, user_id),
  CONSTRAINT fk_members_room FOREIGN KEY (room_id) REFERENCES rooms (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS messages (
  id          BIGINT        NOT NULL,
  room_id     BIGINT        NOT NULL,
  author_id   BIGINT        NOT NULL,
  body        TEXT          NOT NULL,
  -- Client-side attributes (attachments, mentions, ...).
  meta        JSON          NULL,
  -- A tip attached to the message, in the room's currency.
  tip         DECIMAL(12,4) NULL,
  sent_at     DATETIME(6)   NOT NULL,
  edited_at   DATETIME(6)   NULL,
  updated_at  DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_messages_room_sent (room_id, sent_at),
  CONSTRAINT fk_messages_room FOREIGN KEY (room_id) REFERENCES rooms (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
