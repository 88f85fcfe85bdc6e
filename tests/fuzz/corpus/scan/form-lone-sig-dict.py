params = {"sv": "2022-11-02", "sr": "b", "sp": "rwdl"}
params["se"] = "2031-01-01"
url = base + "?" + urlencode(params)
url += "&sig=dZtievKX8%2Be%2F15z0iH9LJg6AIxjuwGdTdWFkB7Hk7Ns%3D"
