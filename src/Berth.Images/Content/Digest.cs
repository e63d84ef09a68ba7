using System.Security.Cryptography;

namespace Berth.Images.Content;

/// <summary>
/// A content digest, <c>algorithm:hex</c> as the OCI image spec defines it. Only sha256 (and
/// sha512, for parsing) are accepted: every blob Berth stores is named by its sha256.
/// </summary>
public readonly record struct Digest
{
    public string Algorithm { get; }
    public string Hex { get; }

    private Digest(string algorithm, string hex) { Algorithm = algorithm; Hex = hex; }

    public static Digest Sha256(string hex) => Parse("sha256:" + hex);

    public static Digest Parse(string text)
    {
        if (TryParse(text, out var digest)) return digest;
        throw new FormatException($"invalid digest \"{Shorten(text)}\": want sha256:<64 lowercase hex digits>");
    }

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (text is null) return false;
        int colon = text.IndexOf(':');
        if (colon <= 0) return false;
        string algorithm = text[..colon], hex = text[(colon + 1)..];
        int want = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (want < 0 || hex.Length != want) return false;
        foreach (char c in hex)
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f')) return false;
        digest = new Digest(algorithm, hex);
        return true;
    }

    /// <summary>The sha256 digest of <paramref name="data"/>.</summary>
    public static Digest Of(ReadOnlySpan<byte> data) =>
        new("sha256", Convert.ToHexStringLower(SHA256.HashData(data)));

    public static Digest FromHash(byte[] sha256) => new("sha256", Convert.ToHexStringLower(sha256));

    /// <summary>Docker's short id: the first 12 hex digits.</summary>
    public string Short => Hex[..12];

    public bool IsDefault => Hex is null;

    public override string ToString() => Algorithm + ":" + Hex;

    private static string Shorten(string? s) => s is null ? "" : s.Length > 80 ? s[..80] + "…" : s;
}
