#!/usr/bin/env python3
"""Signs in through the portal forms (password + TOTP, as bench/load/load.py does) and prints the
session cookie as NAME=VALUE, for curl -b. Standard library only, loopback only.

Usage: signin.py URL EMAIL PASSWORD TOTP_SECRET
"""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "load"))
from load import Session, sign_in  # noqa: E402

url, email, password, secret = sys.argv[1:5]
u = urllib.parse.urlparse(url)
s = Session(u.hostname, u.port)
sign_in(s, email, password, secret)
print("; ".join(f"{k}={v}" for k, v in s.cookies.items()))
