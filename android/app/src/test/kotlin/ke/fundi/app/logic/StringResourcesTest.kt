// The string keys the logic produces against the strings.xml files of both languages.
package ke.fundi.app.logic

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.w3c.dom.Element

/** Every key the logic can produce exists in both languages, with the same format arguments. */
class StringResourcesTest {
    private val resDir = File(System.getProperty("fundi.res.dir") ?: error("set -Dfundi.res.dir to app/src/main/res"))

    private fun strings(dir: String): Map<String, String> {
        val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(File(resDir, "$dir/strings.xml"))
        val nodes = doc.getElementsByTagName("string")
        return (0 until nodes.length).associate {
            val e = nodes.item(it) as Element
            e.getAttribute("name") to e.textContent
        }
    }

    private fun formatArgs(s: String): List<String> = Regex("%(\\d+\\$)?[sd]").findAll(s).map { it.value }.sorted().toList()

    @Test
    fun everyKeyExistsInEnglishAndSwahili() {
        val en = strings("values")
        val sw = strings("values-sw")
        for (key in StringKey.values()) {
            assertTrue(key.resName in en, "values/strings.xml lacks ${key.resName}")
            assertTrue(key.resName in sw, "values-sw/strings.xml lacks ${key.resName}")
            assertEquals(formatArgs(en.getValue(key.resName)), formatArgs(sw.getValue(key.resName)), key.resName)
        }
    }

    @Test
    fun argumentsMatchTheFormats() {
        // A key given arguments must have as many placeholders, of the matching kind.
        val en = strings("values")
        val samples = listOf(
            UiText(StringKey.ROW_WEEKLY_CAPACITY, 4L),
            UiText(StringKey.ERROR_APP_TOO_OLD, 7L, 3L),
            UiText(StringKey.ERROR_PRICE_TOO_SMALL, "KSh 1"),
            UiText(StringKey.ERROR_TITLE_TOO_LONG, 80L),
            UiText(StringKey.CONFLICTS_FOLDED, 12L),
            UiText(StringKey.SYNC_SENDING, 3L, 5L),
            UiText(StringKey.SYNC_RECEIVING, 40L),
            UiText(StringKey.SYNC_DONE, 2L, 17L),
            UiText(StringKey.HOME_WAITING, 4L),
            UiText(StringKey.ORDER_QUANTITY, 10L),
            UiText(StringKey.STOCK_UNITS, -2L),
            UiText(StringKey.CONFLICT_FIELD, "Price", "Kiondo"),
            UiText(StringKey.SIGN_OUT_PENDING, 6L),
            UiText(StringKey.PLAIN, "KSh 2,500"),
            UiText(StringKey.PRODUCT_VERSION, 3L),
            UiText(StringKey.PRODUCT_SHOP_PRICE, "USD 25"),
            UiText(StringKey.PRODUCT_YOUR_PRICE, "KSh 1,500"),
            UiText(StringKey.PRODUCT_MADE_TO_ORDER, 4L),
        )
        for (t in samples) {
            val formatted = String.format(en.getValue(t.key.resName), *t.args.toTypedArray())
            assertTrue(t.args.all { formatted.contains(it.toString()) }, formatted)
        }
    }
}
