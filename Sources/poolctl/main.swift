print("poolctl")
