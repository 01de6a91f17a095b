package client_test

import (
	"fmt"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

func ExampleFormatCountdown() {
	fmt.Println(client.FormatCountdown(29*lite.Minute + 59*lite.Second))
	fmt.Println(client.FormatCountdown(90 * lite.Minute))
	// Output:
	// 29:59
	// 1:30:00
}
