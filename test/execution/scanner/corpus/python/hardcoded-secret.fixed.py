import os

API_KEY = os.environ["API_KEY"]
client = dict(region="eu-west-1", password=os.environ.get("DB_PASSWORD"))
settings = {"token_field": "token"}
