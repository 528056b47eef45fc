"""Confidentiality levels 保密等级 (C4): ordered integers, ordinary < secret < confidential
< top secret.  A staff member's clearance is one of them too."""
ORDINARY, SECRET, CONFIDENTIAL, TOP_SECRET = 0, 1, 2, 3
LEVELS = (ORDINARY, SECRET, CONFIDENTIAL, TOP_SECRET)
LEVEL_NAMES = {ORDINARY: "普通", SECRET: "秘密", CONFIDENTIAL: "机密", TOP_SECRET: "绝密"}
