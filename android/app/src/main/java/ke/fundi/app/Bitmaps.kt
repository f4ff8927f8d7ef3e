// Decoding photos for low-end phones: never the full image into memory. Bounds first, then the
// largest power-of-two subsampling that still covers the size shown, in RGB_565 (half the bytes
// of ARGB_8888; photos carry no transparency). Call off the main thread.
package ke.fundi.app

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import ke.fundi.app.logic.sampleSizeFor

/** The image at `path` decoded to at least `sidePx` on its shorter side where it can be; null if unreadable. */
fun decodeSampled(path: String, sidePx: Int): Bitmap? {
    val bounds = BitmapFactory.Options()
    bounds.inJustDecodeBounds = true
    BitmapFactory.decodeFile(path, bounds)
    if (bounds.outWidth <= 0 || bounds.outHeight <= 0) return null
    val options = BitmapFactory.Options()
    // The reduction is computed in logic/ (tested on the JVM; a size of 0 decodes as is).
    options.inSampleSize = sampleSizeFor(bounds.outWidth, bounds.outHeight, sidePx)
    options.inPreferredConfig = Bitmap.Config.RGB_565
    return BitmapFactory.decodeFile(path, options)
}
