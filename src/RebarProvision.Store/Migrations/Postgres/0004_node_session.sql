-- The backend pid of the session each node keeps open for the singleton-work lock. A node whose process dies loses
-- that session at once (the kernel closes its socket), so the others count it out on their next heartbeat instead
-- of waiting out the dead-after window: DHCP takeover in about a second.
ALTER TABLE nodes ADD COLUMN session_pid integer;
