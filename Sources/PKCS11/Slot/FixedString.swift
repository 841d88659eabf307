/// Decodes one of PKCS#11's blank-padded, unterminated fixed-width strings (`CK_UTF8CHAR[32]`).
func fixedString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        var end = raw.count
        while end > 0 && (raw[end - 1] == 0x20 || raw[end - 1] == 0) {
            end -= 1
        }
        return String(decoding: raw[0..<end], as: UTF8.self)
    }
}
