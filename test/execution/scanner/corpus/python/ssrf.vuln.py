import requests
from urllib.request import urlopen


def preview(link):
    url = "https://" + link + "/page"
    page = requests.get(url, timeout=5)
    return page.text, urlopen(link).read()
