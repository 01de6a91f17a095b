package client_test

import (
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/wasm/client"
)

func ExampleFormatCountdown() {
	fmt.Println(client.FormatCountdown(29*time.Minute + 59*time.Second))
	fmt.Println(client.FormatCountdown(90 * time.Minute))
	// Output:
	// 29:59
	// 1:30:00
}
