API_KEY = "q9X2-f8Lz7Wm4Rt1Vb6N"
client = dict(region="eu-west-1", password="Hunter2!Hunter2!")
settings = {"token": "xoxb-1234567890-abcdefghij"}
