"""The counter room (書かない窓口): the life-event guide (手続ナビ) first; the QR pre-fill bundle and the counter
screen come next. See README.md."""
