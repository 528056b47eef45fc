"""V3: personal survey links — the token signs the link's id and expiry, any change
breaks it, an expired one is refused, and guessing is counted in windows."""
import datetime
import uuid

import pytest

from services.survey.contract.answers import LinkExpired, LinkInvalid
from services.survey.domain import links

SECRET = "a-test-secret-" + uuid.uuid4().hex
NOW = datetime.datetime(2026, 12, 7, 4, 0, tzinfo=datetime.UTC)


def issued(hours=72):
    link_id = str(uuid.uuid4())
    return link_id, links.sign(SECRET, link_id, links.expires_at(NOW, hours))


class TestTokens:
    def test_v3_a_token_names_its_link_until_it_expires(self):
        link_id, token = issued(hours=2)
        assert links.verify(SECRET, token, NOW) == link_id
        assert links.verify(SECRET, token, NOW + datetime.timedelta(minutes=119)) == link_id

    def test_v3_an_expired_token_is_refused_as_expired(self):
        _, token = issued(hours=2)
        with pytest.raises(LinkExpired) as caught:
            links.verify(SECRET, token, NOW + datetime.timedelta(hours=2))
        assert caught.value.code == "link_expired"

    def test_v3_a_changed_token_is_refused_as_invalid(self):
        _, token = issued()
        # (a middle character of the signature: the last one's low bits are padding, so
        # some changes of it decode to the same bytes)
        changed = {token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:],
                   ("A" if token[0] != "A" else "B") + token[1:],    # the payload
                   token[:-3], token + "x", token.replace(".", "", 1), "", "abc.def"}
        for bad in changed:
            with pytest.raises(LinkInvalid) as caught:
                links.verify(SECRET, bad, NOW)
            assert caught.value.code == "link_invalid", bad

    def test_v3_only_the_spelling_we_signed_is_a_link(self):
        # base64's last character carries spare bits that decoders drop: every other
        # spelling of it is refused, including those that decode to the same signature
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        for _ in range(20):
            _, token = issued()
            for other in alphabet.replace(token[-1], ""):
                with pytest.raises(LinkInvalid):
                    links.verify(SECRET, token[:-1] + other, NOW)

    def test_v3_a_token_signed_with_another_secret_is_invalid(self):
        link_id = str(uuid.uuid4())
        forged = links.sign("another-secret", link_id, links.expires_at(NOW, 72))
        with pytest.raises(LinkInvalid):
            links.verify(SECRET, forged, NOW)

    def test_v3_the_token_holds_nothing_of_the_customer(self):
        link_id, token = issued()
        payload = token.split(".")[0]
        import base64
        import json
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert set(data) == {"l", "e"} and data["l"] == link_id

    def test_v3_refusals_have_distinct_codes(self):
        assert len({LinkInvalid.code, LinkExpired.code, "link_used"}) == 3


class TestGuessing:
    def test_v3_windows_are_fixed_and_aligned(self):
        start = links.window_start(NOW + datetime.timedelta(seconds=599), 600)
        assert start == NOW  # 04:00:00 is a multiple of 600 s
        assert links.window_start(NOW + datetime.timedelta(seconds=600), 600) == \
            NOW + datetime.timedelta(seconds=600)

    def test_v3_a_key_is_blocked_from_the_limit_on(self):
        assert not links.blocked(9, 10)
        assert links.blocked(10, 10) and links.blocked(11, 10)
