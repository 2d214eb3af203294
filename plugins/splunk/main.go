package main

import "github.com/outpost-soc/outpost/sdk"

func main() { sdk.Serve(New()) }
