// Thumbnails for list rows and the editor's photos, for low-end phones: decoded off the main
// thread (one decode thread of its own, so the database worker never waits on images), at the
// smallest power-of-two reduction that still fills the view and in RGB_565 (decodeSampled,
// Bitmaps.kt), kept in a small LRU cache. Rows are reused: each ImageView remembers which file
// it wants now (its tag), so a decode that finishes for a row since rebound to another draft
// is not shown there.
package ke.fundi.app

import android.graphics.Bitmap
import android.os.Handler
import android.os.Looper
import android.util.LruCache
import android.widget.ImageView
import java.util.concurrent.Executors

object ThumbnailLoader {
    private val decoder = Executors.newSingleThreadExecutor()
    private val main = Handler(Looper.getMainLooper())

    /** An eighth of what the app may take: a few hundred thumbnails at 565. */
    private val cache = object : LruCache<String, Bitmap>((Runtime.getRuntime().maxMemory() / 8).toInt().coerceAtLeast(1)) {
        override fun sizeOf(key: String, value: Bitmap): Int = value.byteCount
    }

    /**
     * Show the image at `path` in `view` (sized `targetPx`), the `placeholder` drawable until it
     * is decoded, or for good when `path` is null or cannot be read. Call on the main thread.
     */
    fun show(view: ImageView, path: String?, targetPx: Int, placeholder: Int) {
        val key = if (path == null) null else "$targetPx:$path"
        view.tag = key
        val cached = key?.let { cache.get(it) }
        if (cached != null) {
            view.setImageBitmap(cached)
            return
        }
        view.setImageResource(placeholder)
        if (path == null || key == null) return
        decoder.execute {
            val bitmap = try {
                decodeSampled(path, targetPx)
            } catch (e: Throwable) {
                // Out of memory, a file gone: the placeholder stays.
                null
            }
            main.post {
                if (bitmap != null) cache.put(key, bitmap)
                if (bitmap != null && view.tag == key) view.setImageBitmap(bitmap)
            }
        }
    }
}
