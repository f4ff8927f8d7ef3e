// The pure parts behind thumbnails and camera captures: how far a thumbnail decode is reduced
// (inSampleSize), and which names and URI paths the capture provider serves (nothing else).
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ThumbnailsAndCaptureTest {

    @Test
    fun aThumbnailIsDecodedAtTheSmallestReductionThatStillFillsTheView() {
        // The core's 320 px thumbnail into a 64 dp row at 1.5x (96 px): halved once (160 >= 96),
        // not twice (80 < 96).
        assertEquals(2, sampleSizeFor(320, 240, 96))
        // A camera-sized picture into the same row: the short side decides, 3000 / 16 = 187 but
        // 3000 / 32 = 93, under 96.
        assertEquals(16, sampleSizeFor(4000, 3000, 96))
        // The short side decides: a panorama is not reduced below the view's height.
        assertEquals(1, sampleSizeFor(4000, 150, 96))
        // Already small, or sizes not known: decoded as is.
        assertEquals(1, sampleSizeFor(96, 96, 96))
        assertEquals(1, sampleSizeFor(50, 40, 96))
        assertEquals(1, sampleSizeFor(0, 0, 96))
        assertEquals(1, sampleSizeFor(-1, 300, 96))
        assertEquals(1, sampleSizeFor(320, 240, 0))
        // Always a power of two (what BitmapFactory honours exactly).
        for (w in listOf(97, 500, 1234, 4032)) {
            val s = sampleSizeFor(w, w, 96)
            assertEquals(0, s and (s - 1), "inSampleSize $s for $w")
            assertTrue(w / s >= 96)
        }
    }

    @Test
    fun captureNamesAreFreshAndOnlyTheyAreServed() {
        val a = CaptureFiles.newName()
        val b = CaptureFiles.newName()
        assertNotEquals(a, b)
        assertTrue(CaptureFiles.isCaptureName(a))
        assertEquals("/capture/$a", CaptureFiles.path(a))
        assertEquals(a, CaptureFiles.nameFromSegments(listOf("capture", a)))
        assertEquals("ke.fundi.app.capture", CaptureFiles.authority("ke.fundi.app"))

        // Anything else the provider could be asked for is refused.
        val refused = listOf(
            listOf("capture", "../../databases/fundi.db"),
            listOf("capture", ".."),
            listOf("capture", "..", "fundi.db"),
            listOf("capture"),
            listOf("photos", a),
            listOf("capture", a, "x"),
            listOf("capture", a.removeSuffix(".jpg") + ".png"),
            listOf("capture", "capture-not-a-uuid.jpg"),
            listOf("capture", a.uppercase()),
            listOf("capture", "sub/$a"),
            emptyList(),
        )
        for (segments in refused) assertNull(CaptureFiles.nameFromSegments(segments), "$segments")
        assertFalse(CaptureFiles.isCaptureName("capture-$a"))
        assertThrows(IllegalArgumentException::class.java) { CaptureFiles.path("../fundi.db") }
    }
}
