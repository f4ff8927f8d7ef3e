// Sets the description of @id/described_by_code, as an activity does for a photo thumbnail.
class Screen {
    fun bind() {
        val image = findViewById<ImageView>(R.id.described_by_code)
        image.contentDescription = getString(R.string.x)
    }
}
