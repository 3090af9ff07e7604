-- The address (the primary key) already makes (subnet, addr_int) unique, so its UNIQUE constraint added nothing
-- but a race: two claims inserting one new address at once are settled by ON CONFLICT (addr) only on the primary
-- key, and the loser then failed on this second unique index instead of seeing the winner's row. A plain index
-- serves the range scans of the unused-address search just as well.
CREATE INDEX leases_by_subnet_addr ON leases (subnet, addr_int);
ALTER TABLE leases DROP CONSTRAINT leases_subnet_addr_int_key;
