// The files a camera app writes a photo into for the editor: named by the app, in one folder of
// the app's cache, reached by the camera only through the app's own content provider
// (ke.fundi.app.CaptureProvider) under content://<package>.capture/capture/<name>. Which names
// and paths the provider serves is decided here, on the JVM-tested side.
package ke.fundi.app.logic

import java.util.UUID

object CaptureFiles {
    /** The folder under the app's cache directory, and the first path segment of a capture URI. */
    const val DIR = "capture"

    /** The authority of the provider for the app `packageName` (its applicationId). */
    fun authority(packageName: String): String = "$packageName.capture"

    private val NAME = Regex("capture-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.jpg")

    /** A fresh file name for one capture. */
    fun newName(): String = "capture-${UUID.randomUUID()}.jpg"

    /** Whether `name` is one this app gives (no separators, no dots but the extension's). */
    fun isCaptureName(name: String): Boolean = NAME.matches(name)

    /**
     * The capture file name a content URI's decoded path segments point at, or null when they
     * point anywhere else (another folder, a sub-path, "..", a name the app never gives).
     */
    fun nameFromSegments(segments: List<String>): String? =
        if (segments.size == 2 && segments[0] == DIR && isCaptureName(segments[1])) segments[1] else null

    /** The URI path (after the authority) of the capture file `name`. */
    fun path(name: String): String {
        require(isCaptureName(name)) { "not a capture name" }
        return "/$DIR/$name"
    }
}
