// The camera app's way in: ACTION_IMAGE_CAPTURE writes the photo to the EXTRA_OUTPUT content URI
// the editor gives, content://<package>.capture/capture/<name>. This small framework
// ContentProvider (no AndroidX FileProvider) serves exactly those files: ones the editor
// created, empty, in cacheDir/capture/ (CaptureFiles decides which names and paths are
// valid). The provider is not exported; the manifest lets the editor grant a camera app one
// file under /capture/ for one capture, and nothing else can be granted.
package ke.fundi.app

import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.database.Cursor
import android.database.MatrixCursor
import android.net.Uri
import android.os.ParcelFileDescriptor
import android.provider.OpenableColumns
import java.io.File
import java.io.FileNotFoundException
import ke.fundi.app.logic.CaptureFiles

class CaptureProvider : ContentProvider() {

    companion object {
        /** The folder of capture files in the app's cache. */
        fun dir(context: Context): File = File(context.cacheDir, CaptureFiles.DIR)

        /** A new, empty capture file for one photo, and the URI the camera app writes it through. */
        fun newCapture(context: Context): Pair<File, Uri> {
            val folder = dir(context)
            folder.mkdirs()
            val name = CaptureFiles.newName()
            val file = File(folder, name)
            file.createNewFile()
            val uri = Uri.Builder()
                .scheme("content")
                .authority(CaptureFiles.authority(context.packageName))
                .path(CaptureFiles.path(name))
                .build()
            return file to uri
        }

        /** Delete every capture file (left by a capture that never came back). */
        fun clear(context: Context) {
            dir(context).listFiles()?.forEach { it.delete() }
        }
    }

    override fun onCreate(): Boolean = true

    /** The existing capture file `uri` names, or FileNotFoundException for anything else. */
    private fun fileFor(uri: Uri): File {
        val context = context ?: throw FileNotFoundException("no context")
        if (uri.authority != CaptureFiles.authority(context.packageName)) throw FileNotFoundException("unknown authority")
        val name = CaptureFiles.nameFromSegments(uri.pathSegments) ?: throw FileNotFoundException("not a capture")
        val file = File(dir(context), name)
        // Only files the editor created: the provider never makes new ones.
        if (!file.isFile) throw FileNotFoundException("no such capture")
        return file
    }

    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor =
        ParcelFileDescriptor.open(fileFor(uri), ParcelFileDescriptor.parseMode(mode))

    override fun getType(uri: Uri): String? = try {
        fileFor(uri)
        "image/jpeg"
    } catch (e: FileNotFoundException) {
        null
    }

    /** Some camera apps ask for the file's name and size before writing: OpenableColumns only. */
    override fun query(
        uri: Uri,
        projection: Array<out String>?,
        selection: String?,
        selectionArgs: Array<out String>?,
        sortOrder: String?,
    ): Cursor? {
        val file = try {
            fileFor(uri)
        } catch (e: FileNotFoundException) {
            return null
        }
        val columns = (projection ?: arrayOf(OpenableColumns.DISPLAY_NAME, OpenableColumns.SIZE))
            .filter { it == OpenableColumns.DISPLAY_NAME || it == OpenableColumns.SIZE }
            .toTypedArray()
        val cursor = MatrixCursor(columns, 1)
        cursor.addRow(columns.map { if (it == OpenableColumns.SIZE) file.length() else file.name }.toTypedArray<Any>())
        return cursor
    }

    override fun insert(uri: Uri, values: ContentValues?): Uri? = null

    override fun delete(uri: Uri, selection: String?, selectionArgs: Array<out String>?): Int = 0

    override fun update(uri: Uri, values: ContentValues?, selection: String?, selectionArgs: Array<out String>?): Int = 0
}
