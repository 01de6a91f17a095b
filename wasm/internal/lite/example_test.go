package lite_test

import (
	"fmt"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

func ExampleEncodeURIComponent() {
	// The sign-in URL after a refused navigation to /dashboard?tab=1.
	fmt.Println("/?callbackUrl=" + lite.EncodeURIComponent("/dashboard?tab=1"))
	// Output: /?callbackUrl=%2Fdashboard%3Ftab%3D1
}
