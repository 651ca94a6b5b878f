"""Shared helpers for the tests of the AWS KMS-compatible endpoint (docs/AWS_COMPAT.md): a
`kmsd serve` with `aws_compat.listen` on a free port, a throwaway PKI with an admin and two
more principals, and boto3 clients that present a principal's client certificate."""
import json
import re
import time

import boto3
import botocore.config
import pytest

from tls_edge_support import ADMIN, TRUST_DOMAIN, CertificateAuthority, Kmsd, kmsd_config, policy

ALICE = f"spiffe://{TRUST_DOMAIN}/ns/app/sa/alice"
BOB = f"spiffe://{TRUST_DOMAIN}/ns/app/sa/bob"
REGION = "local"
ACCOUNT = "000000000000"


class AWSKmsd(Kmsd):
    """`kmsd serve` with the AWS-compatible endpoint on a port it picks; `aws_port` is read
    from its "AWS-compatible endpoint listening on" line."""

    AWS_LISTENING = re.compile(r"AWS-compatible endpoint listening on 127\.0\.0\.1:(\d+)")

    def start(self, credentials, seconds=60):
        super().start(credentials, seconds)
        deadline = time.monotonic() + seconds
        while not (match := self.AWS_LISTENING.search(self.log())):
            assert time.monotonic() < deadline, f"the AWS endpoint did not print its port:\n{self.log()}"
            time.sleep(0.05)
        self.aws_port = int(match.group(1))
        return self

    @property
    def endpoint_url(self):
        return f"https://127.0.0.1:{self.aws_port}"

    def kms(self, leaf, retries=0):
        """A boto3 KMS client of this endpoint that presents `leaf`'s certificate. AWS
        credentials are required by botocore to sign, and are not used by the server.
        `retries` is botocore's count of retries after the first attempt (0: none, so a
        throttled call is not sent again)."""
        return boto3.client(
            "kms",
            region_name=REGION,
            endpoint_url=self.endpoint_url,
            verify=str(leaf.ca.cert_path),
            aws_access_key_id="unused",
            aws_secret_access_key="unused",
            config=botocore.config.Config(client_cert=(str(leaf.cert_path), str(leaf.key_path)), retries={"max_attempts": retries}),
        )


class AWSCluster:
    """One server and the certificates of its callers: `admin` (allowed kms:* by the server
    policy), `alice` and `bob` (allowed nothing server-wide; key policies decide)."""

    def __init__(self, directory, stubs, server_policy=None, quotas=None):
        self.ca = CertificateAuthority(directory / "pki")
        server = self.ca.issue_server()
        self.admin = self.ca.issue("admin", spiffe_id=ADMIN)
        self.alice = self.ca.issue("alice", spiffe_id=ALICE)
        self.bob = self.ca.issue("bob", spiffe_id=BOB)
        config = kmsd_config(directory / "kmsd", server, client_ca=self.ca, server_policy=server_policy or policy())
        config["aws_compat"] = {"listen": "127.0.0.1:0", "region": REGION, "account_id": ACCOUNT}
        if quotas:
            config["quotas"] = quotas
        self.kmsd = AWSKmsd(directory / "kmsd", config, stubs).start(self.admin.credentials())

    def stop(self):
        self.kmsd.stop()


def key_policy(*statements):
    """A key policy that keeps the admin in charge, plus `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": ADMIN, "Action": "kms:*", "Resource": "*"}, *statements]})


@pytest.fixture(scope="module")
def aws_cluster(tmp_path_factory, stubs):
    cluster = AWSCluster(tmp_path_factory.mktemp("aws"), stubs)
    yield cluster
    cluster.stop()
