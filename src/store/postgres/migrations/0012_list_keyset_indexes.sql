-- Indexes for listing at scale (keyset paging, src/store/sql/message-list-query.ts). A page is
-- ordered by (sort column, receive_time, message_id, destination_tn) and starts after the previous
-- page's last row, so an index that holds that whole order lets the first page and a deep page alike
-- read only the rows they return (PostgreSQL compares the row value against the index directly).
-- A filtered number, status or error code is then read newest first without a sort, and sorting on
-- those columns walks the same index.
DROP INDEX message_recipients_account_time;
DROP INDEX message_recipients_account_source;
DROP INDEX message_recipients_account_destination;
CREATE INDEX message_recipients_account_time
  ON message_recipients (account_id, receive_time, message_id, destination_tn);
CREATE INDEX message_recipients_account_source
  ON message_recipients (account_id, source_tn, receive_time, message_id, destination_tn);
CREATE INDEX message_recipients_account_destination
  ON message_recipients (account_id, destination_tn, receive_time, message_id);
CREATE INDEX message_recipients_account_status
  ON message_recipients (account_id, status, receive_time, message_id, destination_tn);
CREATE INDEX message_recipients_account_error
  ON message_recipients (account_id, error_code, receive_time, message_id, destination_tn);
