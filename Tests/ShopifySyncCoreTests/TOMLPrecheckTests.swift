import Testing

@testable import ShopifySyncCore

/// Characters TOMLKit's parser must never see outside strings and comments (it aborts the process on some).
struct TOMLPrecheckTests {
    @Test(
        "non-ASCII only in strings and comments, a NUL nowhere, a table header starts with a key",
        arguments: [
            ("a = 1\n", nil),
            ("# Übersicht: Lager\na = 1\n", nil),
            ("a = \"Lager Süd\"\n", nil),
            ("a = 'Süd'\n", nil),
            ("a = \"\"\"\nzwei\nZeilen: ß\n\"\"\"\nb = 1\n", nil),
            ("a = '''\nß\n'''\nb = 1\n", nil),
            ("a = \"escaped \\\" quote ü\" # ü\n", nil),
            ("[\u{FFFD}tores.au]\n", (1, 2)),
            ("a = 1\nschlüssel = 2\n", (2, 5)),
            ("a = \"x\"\nb = ü\n", (2, 5)),
            ("a = \"\"\"\nß\n\"\"\"\nä = 1\n", (4, 1)),
            ("a = \"x\0\"\n", (1, 7)),
            ("[stores.main]\n[[a.b]]\n[ \"q\".x ]\n", nil),
            ("a = [\n  [1, 2],\n  [{ x = 1 }],\n]\n[t]\n", nil),
            ("# x\n\n[(exponential\n", (3, 2)),
            ("[[ (x]]\n", (1, 4)),
            ("[]\n", (1, 2)),
        ] as [(String, (Int, Int)?)]
    )
    func foreign(text: String, expected: (Int, Int)?) {
        let found = TOMLPrecheck.firstForeignCharacter(in: text)
        #expect(found?.line == expected?.0 && found?.column == expected?.1, "\(String(describing: found))")
    }

    @Test("a config with a non-ASCII table name is refused with its line, not handed to the parser")
    func refused() {
        #expect(throws: ConfigErrors.self) {
            try SyncConfig.parse("spool_dir = \"s\"\n[\u{FFFD}tores.au]\n", path: "/x/config.toml", environment: [:])
        }
        do {
            _ = try SyncConfig.parse(
                "spool_dir = \"s\"\n[\u{FFFD}tores.au]\n",
                path: "/x/config.toml",
                environment: [:]
            )
        } catch {
            #expect(error.errors.first?.line == 2)
            #expect(error.errors.first?.message.contains("not ASCII") == true)
        }
    }
}
