// Sizing of thumbnail decodes for low-end phones: a bitmap is decoded at the smallest
// power-of-two reduction that still covers the view (BitmapFactory's inSampleSize), never at
// full size. Pure arithmetic, tested on the JVM; the decoding itself is decodeSampled
// (ke.fundi.app, Bitmaps.kt).
package ke.fundi.app.logic

/**
 * The largest power of two by which an image of `width` x `height` pixels can be reduced while
 * both sides stay at least `targetPx` (a square view of that size, filled with centerCrop).
 * 1 for an image already that small, or for sizes that are not known (0 or less).
 */
fun sampleSizeFor(width: Int, height: Int, targetPx: Int): Int {
    if (width <= 0 || height <= 0 || targetPx <= 0) return 1
    var sample = 1
    while (width / (sample * 2) >= targetPx && height / (sample * 2) >= targetPx) sample *= 2
    return sample
}
