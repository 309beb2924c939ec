-- Sign-in failures are kept a day, then pruned by age whatever address they came from (each new failure deletes a
-- bounded batch of the oldest expired rows: `endAttempt` in people-sign-in.ts). Failures were pruned only per
-- address, as that address failed again, so an outsider failing once from each of many addresses (an IPv6 /48 is
-- 65,536 counted /64s) grew the table without bound; `at` alone now leads an index for the pruning.
create index sign_in_failures_at on sign_in_failures (at);
-- The second factor's limit counts a login's failures across every address in the window (`beginCodeCheck`). The
-- index on (login, address_key, at) served that only by its login prefix, reading the login's rows at every
-- address and time; no lookup names a login and an address without counting the address's other logins too
-- (those go by sign_in_failures_address), so (login, at) replaces it.
create index sign_in_failures_login_at on sign_in_failures (login, at);
drop index sign_in_failures_login_address;
