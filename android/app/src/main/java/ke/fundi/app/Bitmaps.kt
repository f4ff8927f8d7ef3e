// Decoding photos for low-end phones: never the full image into memory. Bounds first, then the
// largest power-of-two subsampling that still covers the size shown, in RGB_565 (half the bytes
// of ARGB_8888; photos carry no transparency). Call off the main thread.
package ke.fundi.app

import android.graphics.Bitmap
import android.graphics.BitmapFactory

/** The image at `path` decoded to at least `sidePx` on its shorter side where it can be; null if unreadable. */
fun decodeSampled(path: String, sidePx: Int): Bitmap? {
    val bounds = BitmapFactory.Options()
    bounds.inJustDecodeBounds = true
    BitmapFactory.decodeFile(path, bounds)
    if (bounds.outWidth <= 0 || bounds.outHeight <= 0) return null
    var sample = 1
    while (minOf(bounds.outWidth, bounds.outHeight) / (sample * 2) >= sidePx) sample *= 2
    val options = BitmapFactory.Options()
    options.inSampleSize = sample
    options.inPreferredConfig = Bitmap.Config.RGB_565
    return BitmapFactory.decodeFile(path, options)
}
