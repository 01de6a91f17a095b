package client_test

import (
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/wasm/client"
)

func ExampleEncodeURIComponent() {
	// The sign-in URL after a refused navigation to /dashboard?tab=1.
	fmt.Println("/?callbackUrl=" + client.EncodeURIComponent("/dashboard?tab=1"))
	// Output: /?callbackUrl=%2Fdashboard%3Ftab%3D1
}

func ExampleFormatCountdown() {
	fmt.Println(client.FormatCountdown(29*time.Minute + 59*time.Second))
	fmt.Println(client.FormatCountdown(90 * time.Minute))
	// Output:
	// 29:59
	// 1:30:00
}
