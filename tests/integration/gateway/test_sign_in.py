"""Sign-in under attack (issue 9, finding 9): the throttle per account and per client
address is atomic (parallel guesses cannot slip past it), password hashing is
bounded (a flood cannot take the memory of 20 argon2 runs at once), and staff
change their own password."""
import eventlet
import pytest
from eventlet import patcher

from services.gateway.domain import accounts
from tests.integration.gateway.conftest import Http, account, client_address

real_threading = patcher.original("threading")  # argon2 runs in OS threads


def parallel(n: int, attempt) -> list[int]:
    pool = eventlet.GreenPool(n)
    return [reply.status_code for reply in pool.imap(attempt, range(n))]


class TestThrottle:
    def test_finding9_parallel_wrong_guesses_pass_at_most_the_allowed_number(
            self, gateway, staff):
        """Finding 9: ≈50 parallel guesses passed the per-username throttle (read, then
        hash, then write).  Each attempt is charged in one statement before hashing."""
        base = gateway()
        victim = staff()
        http = Http(base)

        codes = parallel(50, lambda _: http.login(victim["username"], "wrong-guess-1"))

        assert set(codes) <= {401, 429, 503}, codes
        assert codes.count(401) <= accounts.ACCOUNT.free, codes
        # the owner, too, waits out the lock: a correct password is refused now
        assert http.login(victim["username"], victim["password"]).status_code == 429

    def test_finding9_throttled_by_address_across_usernames(self, gateway, staff):
        """Finding 9: one client spraying one guess at many usernames was never
        throttled; now its address is, whichever usernames it tries."""
        base = gateway()
        http = Http(base)
        codes = [http.login(f"nobody-{i}-{client_address()[-8:]}", "wrong-guess-1").status_code
                 for i in range(accounts.ADDRESS.free + 2)]
        assert codes[:accounts.ADDRESS.free] == [401] * accounts.ADDRESS.free, codes
        assert codes[-1] == 429
        # a real account from that address is refused too, from another address it signs in
        member = staff()
        assert http.login(member["username"], member["password"]).status_code == 429
        assert Http(base).login(member["username"], member["password"]).status_code == 200

    def test_finding9_a_success_clears_the_account_and_gives_back_the_address_charge(
            self, gateway, staff):
        base = gateway()
        member, http = staff(), Http(base)
        for _ in range(accounts.ACCOUNT.free - 1):
            assert http.login(member["username"], "wrong-guess-1").status_code == 401
        assert http.login(member["username"], member["password"]).status_code == 200
        for _ in range(accounts.ACCOUNT.free - 1):  # the count started again
            assert http.login(member["username"], "wrong-guess-1").status_code == 401
        assert http.login(member["username"], member["password"]).status_code == 200
        # many good sign-ins from one address (an office behind one NAT) never lock it
        for _ in range(accounts.ADDRESS.free + 1):
            assert http.login(member["username"], member["password"]).status_code == 200


class TestHashingIsBounded:
    def test_finding9_a_login_flood_hashes_a_bounded_number_at_once(
            self, gateway, monkeypatch):
        """Finding 9: argon2 (64 MiB each) ran in up to 20 OS threads at once (1.3 GB);
        now at most SIGN_IN_HASHING run, the excess waits briefly, then 503."""
        running, peak, lock = [0], [0], real_threading.Lock()
        matches = accounts.password_matches

        def counting(password_hash, password):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                return matches(password_hash, password)
            finally:
                with lock:
                    running[0] -= 1

        monkeypatch.setattr(accounts, "password_matches", counting)
        base = gateway(SIGN_IN_HASHING=2, SIGN_IN_WAIT_SECONDS=0.5)

        # distinct usernames and addresses: no throttle stops any of them early
        codes = parallel(40, lambda i: Http(base).login(f"flood-{i}-{client_address()[-6:]}",
                                                        "wrong-guess-1"))

        assert set(codes) <= {401, 503}, codes
        assert 401 in codes and 503 in codes
        assert peak[0] <= 2, peak[0]


class TestPasswordChange:
    def test_finding9_staff_change_their_own_password(self, gateway, staff, db):
        """Finding 9: there was no way to change one's password."""
        base = gateway()
        member = staff()
        http = Http(base, bearer=member["token"])
        new = "a-new-long-password"
        reply = http.put("/api/v1/me/password", {"old": member["password"], "new": new})
        assert reply.status_code == 200, reply.text
        assert reply.json()["version"] == member["version"] + 1
        assert http.login(member["username"], member["password"]).status_code == 401
        assert http.login(member["username"], new).status_code == 200
        assert account(db, member["id"])["version"] == member["version"] + 1

    @pytest.mark.parametrize("body, field", [
        ({"old": "not-the-password", "new": "a-new-long-password"}, "old"),
        ({"old": "@same", "new": "@same"}, "new"),
        ({"old": "@same", "new": "short"}, "new"),
        ({"old": "@same", "new": "@username-and-more"}, "new"),
        ({"old": "@same"}, "new"),
    ])
    def test_finding9_a_wrong_old_password_or_a_weak_new_one_is_refused(
            self, gateway, staff, body, field):
        base = gateway()
        member = staff()
        http = Http(base, bearer=member["token"])
        body = {k: v.replace("@same", member["password"])
                .replace("@username", member["username"]) for k, v in body.items()}
        reply = http.put("/api/v1/me/password", body)
        assert reply.status_code == 400, reply.text
        assert field in reply.json()["fields"], reply.json()
        assert http.login(member["username"], member["password"]).status_code == 200

    def test_finding9_wrong_old_passwords_count_as_failed_sign_ins(self, gateway, staff):
        base = gateway()
        member = staff()
        http = Http(base, bearer=member["token"])
        for _ in range(accounts.ACCOUNT.free):
            assert http.put("/api/v1/me/password", {"old": "not-the-password",
                                                    "new": "a-new-long-password"}
                            ).status_code == 400
        assert http.put("/api/v1/me/password", {"old": member["password"],
                                                "new": "a-new-long-password"}
                        ).status_code == 429


class TestKnownDevices:
    """Bench P10 found that the throttle and the bounded hashing, which hold off a flood,
    also shut out the people it attacks: five wrong guesses lock the account for its
    owner too, and during a spray from 200 addresses every real sign-in got 503.  A good
    sign-in now hands out a device token; with it the owner is counted apart and served
    first (OWASP's device cookies)."""

    def test_the_owners_device_signs_in_while_guessing_has_locked_the_account(
            self, gateway, staff):
        base = gateway()
        member = staff()
        first = Http(base).login(member["username"], member["password"])
        assert first.status_code == 200, first.text
        device = first.json()["device_token"]
        attacker = Http(base)
        codes = [attacker.login(member["username"], "wrong-guess-1").status_code
                 for _ in range(accounts.ACCOUNT.free + 1)]
        assert codes[-1] == 429, codes
        # without the device, the owner waits out the lock like anyone
        assert Http(base).login(member["username"], member["password"]).status_code == 429
        again = Http(base).login(member["username"], member["password"], device)
        assert again.status_code == 200, again.text
        assert again.json()["device_token"] == device

    def test_a_device_counts_only_for_the_account_it_was_given_to(self, gateway, staff):
        base = gateway()
        owner, other = staff(), staff()
        device = Http(base).login(owner["username"], owner["password"]).json()["device_token"]
        attacker = Http(base)
        for _ in range(accounts.ACCOUNT.free + 1):
            attacker.login(other["username"], "wrong-guess-1")
        reply = Http(base).login(other["username"], other["password"], device)
        assert reply.status_code == 429, reply.text  # someone else's device: no way round

    def test_guessing_with_a_stolen_device_token_locks_that_device(self, gateway, staff):
        base = gateway()
        member = staff()
        device = Http(base).login(member["username"], member["password"]).json()["device_token"]
        thief = Http(base)
        codes = [thief.login(member["username"], "wrong-guess-1", device).status_code
                 for _ in range(accounts.DEVICE.free + 1)]
        assert codes[:accounts.DEVICE.free] == [401] * accounts.DEVICE.free, codes
        assert codes[-1] == 429
        assert Http(base).login(member["username"], member["password"], device
                                ).status_code == 429
        # the account itself was not charged: from a fresh client the owner signs in
        assert Http(base).login(member["username"], member["password"]).status_code == 200

    def test_a_password_change_forgets_the_accounts_devices(self, gateway, staff):
        base = gateway()
        member = staff()
        device = Http(base).login(member["username"], member["password"]).json()["device_token"]
        http = Http(base, bearer=member["token"])
        new = "another-long-password"
        assert http.put("/api/v1/me/password", {"old": member["password"], "new": new}
                        ).status_code == 200
        attacker = Http(base)
        for _ in range(accounts.ACCOUNT.free + 1):
            attacker.login(member["username"], "wrong-guess-1")
        assert Http(base).login(member["username"], new, device).status_code == 429

    def test_a_known_device_is_served_before_a_flood_of_unknown_clients(
            self, gateway, staff, monkeypatch):
        """P10's spray in small: one hashing slot, a short queue full of unknown clients
        from many addresses; the owner's device still gets in."""
        matches = accounts.password_matches

        def slow(password_hash, password):
            real_threading.Event().wait(0.05)
            return matches(password_hash, password)

        base = gateway(SIGN_IN_HASHING=1, SIGN_IN_QUEUE=3, SIGN_IN_WAIT_SECONDS=1)
        member = staff()
        device = Http(base).login(member["username"], member["password"]).json()["device_token"]
        monkeypatch.setattr(accounts, "password_matches", slow)
        pool = eventlet.GreenPool(60)
        flood = [pool.spawn(lambda i: Http(base).login(f"spray-{i}-{client_address()[-6:]}",
                                                       "wrong-guess-1").status_code, i)
                 for i in range(50)]
        eventlet.sleep(0.1)
        owner = Http(base).login(member["username"], member["password"], device)
        codes = [thread.wait() for thread in flood]
        assert 503 in codes, codes  # the flood was refused in part: the queue was full
        assert owner.status_code == 200, owner.text
