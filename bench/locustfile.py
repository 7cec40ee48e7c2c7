"""The load test's clients (locust): bureau clerks browsing the firm list, searching and opening
firms' 档案 pages. Run by ``bench/load.py``, which builds the database, starts gunicorn and
passes the page parameters in the JSON file named by LOAD_PARAMS.

Each client signs in through the real login form (CSRF token included) and then requests
pages back to back (LOAD_THINK seconds of think time between them, 0 by default: the
worst case). A page that answers anything but 200, or sends the client back to the login
page, counts as an error.
"""
from __future__ import annotations

import json
import os
import random
import re
import urllib.parse

from locust import HttpUser, between, constant, task

PARAMS = json.loads(open(os.environ["LOAD_PARAMS"], encoding="utf-8").read())
THINK = float(os.environ.get("LOAD_THINK", "0"))
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Clerk(HttpUser):
    wait_time = constant(0) if THINK <= 0 else between(THINK / 2, THINK * 1.5)

    def on_start(self):
        page = self.client.get("/auth/login", name="sign-in form")
        token = TOKEN.search(page.text).group(1)
        with self.client.post("/auth/login", name="sign in", allow_redirects=False, catch_response=True,
                              data={"csrf_token": token, "username": PARAMS["username"],
                                    "password": PARAMS["password"]}) as resp:
            if resp.status_code != 302:
                resp.failure(f"sign-in answered {resp.status_code}")

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
            elif "/auth/login" in resp.url:
                resp.failure("sent back to the login page")

    @task(4)
    def firm_list(self):
        p = PARAMS
        path = random.choice([
            "/firms/",
            f"/firms/?page={random.randint(2, p['last_page'])}",
            f"/firms/?town={random.choice(p['towns'])}&page={random.randint(1, 20)}",
            f"/firms/?status=active&sort=capital&dir=desc&page={random.randint(1, p['last_page'] // 2)}",
            f"/firms/?sort=founded&page={random.randint(1, p['last_page'])}",
        ])
        self._get(path, "firm list")

    @task(3)
    def search(self):
        term = random.choice(PARAMS["terms"])
        self._get(f"/firms/?q={urllib.parse.quote(term)}", "search")

    @task(3)
    def profile(self):
        self._get(f"/firms/{random.randint(PARAMS['first_id'], PARAMS['last_id'])}", "firm 档案 page")
