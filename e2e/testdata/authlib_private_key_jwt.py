"""authlib's private_key_jwt client (RFC 7523) against fastsafe.

Gets a client_credentials token, then introspects it, each request
authenticated by an assertion authlib signs with the client's RSA key.
Prints one JSON line: the token response and the introspection.

Environment: TOKEN_URL, INTROSPECT_URL, CLIENT_ID, KEY_FILE (PEM).
"""
import json
import os
import sys
import time

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """authlib's PrivateKeyJWT, with assertions living a minute: authlib's
    own default is an hour, and fastsafe accepts five minutes at most."""

    def sign(self, auth, token_endpoint):
        self.claims = {"exp": int(time.time()) + 60}
        return super().sign(auth, token_endpoint)


def main():
    token_url = os.environ["TOKEN_URL"]
    with open(os.environ["KEY_FILE"]) as f:
        key = f.read()
    session = OAuth2Session(os.environ["CLIENT_ID"], key, token_endpoint_auth_method="private_key_jwt",
                            revocation_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(ShortLivedPrivateKeyJWT(token_url))
    token = session.fetch_token(token_url, grant_type="client_credentials", scope="search")
    resp = session.introspect_token(os.environ["INTROSPECT_URL"], token=token["access_token"])
    print(json.dumps({"token": dict(token), "introspection": resp.json(), "introspection_status": resp.status_code}))


if __name__ == "__main__":
    sys.exit(main())
