// Command notplugin is an ordinary program, not a plugin, put in the plugin
// directory as outpost-plugin-notplugin: the manager must refuse it.
package main

import "fmt"

func main() { fmt.Println("hello, I am not a plugin") }
