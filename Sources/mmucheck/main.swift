print("mmucheck")
