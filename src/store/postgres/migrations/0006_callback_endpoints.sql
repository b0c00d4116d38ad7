-- Callbacks are scheduled per endpoint, the callback URL (src/store/sql/callback-claim.ts): each
-- endpoint has its own share of the callback slots and its own circuit, so that one customer's dead
-- webhook cannot hold back anyone else's callbacks.

-- The circuit of each outbound endpoint, shared by every worker and kept over restarts. `queue`
-- names the outbound queue ('callbacks'), so that another queue (SMPP binds) can keep its
-- endpoints here too. See src/core/endpoints/circuit.ts for the transitions.
CREATE TABLE endpoint_circuits (
  queue                TEXT COLLATE "C" NOT NULL,
  endpoint             TEXT COLLATE "C" NOT NULL,
  state                TEXT COLLATE "C" NOT NULL DEFAULT 'healthy' CHECK (state IN ('healthy', 'failing')),
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  failing_since        BIGINT,
  failed_probes        INTEGER NOT NULL DEFAULT 0,
  next_probe_at        BIGINT,
  last_error           TEXT COLLATE "C",
  updated_at           BIGINT NOT NULL,
  PRIMARY KEY (queue, endpoint)
);

-- Free callbacks by endpoint, in claim order: a claim finds the endpoints with work by skipping
-- from one URL to the next (one index seek each, however long one endpoint's backlog), and takes
-- each endpoint's first callbacks. It replaces the index of free callbacks in id order, which
-- nothing reads any more.
CREATE INDEX callback_outbox_endpoint_ready ON callback_outbox (url, id) WHERE state = 'pending' AND locked_by IS NULL;
DROP INDEX callback_outbox_ready;
