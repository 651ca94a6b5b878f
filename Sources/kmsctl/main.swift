print("kmsctl")
