using System.Runtime.InteropServices;

namespace Berth.Images.Manifests;

/// <summary>Chooses a manifest from an index for a platform, as docker does (--platform os/arch[/variant]).</summary>
public static class PlatformMatcher
{
    public static Platform Host => new()
    {
        Os = "linux",
        Architecture = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "386",
            Architecture.Arm => "arm",
            Architecture.S390x => "s390x",
            Architecture.Ppc64le => "ppc64le",
            Architecture.RiscV64 => "riscv64",
            var other => other.ToString().ToLowerInvariant(),
        },
    };

    /// <summary>Parses "os/arch[/variant]" (or "arch" alone, linux assumed); normalizes docker's aliases.</summary>
    public static Platform Parse(string text)
    {
        var parts = text.ToLowerInvariant().Split('/');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Length == 0))
            throw new FormatException($"invalid platform \"{text}\": want os/arch[/variant]");
        string os = parts.Length == 1 ? "linux" : parts[0];
        string arch = parts.Length == 1 ? parts[0] : parts[1];
        string? variant = parts.Length == 3 ? parts[2] : null;
        (arch, variant) = Normalize(arch, variant);
        return new Platform { Os = os, Architecture = arch, Variant = variant };
    }

    private static (string, string?) Normalize(string arch, string? variant) => arch switch
    {
        "x86_64" or "x86-64" => ("amd64", variant),
        "i386" => ("386", variant),
        "aarch64" => ("arm64", variant),
        "armhf" => ("arm", variant ?? "v7"),
        "armel" => ("arm", variant ?? "v6"),
        _ => (arch, variant),
    };

    public static bool Matches(Platform want, Platform? have)
    {
        if (have is null) return false;
        if (!string.Equals(want.Os, have.Os, StringComparison.OrdinalIgnoreCase)) return false;
        var (haveArch, haveVariant) = Normalize(have.Architecture.ToLowerInvariant(), have.Variant?.ToLowerInvariant());
        if (want.Architecture != haveArch) return false;
        if (want.Variant is null) return true;
        // arm64's only variant is v8: an entry without a variant serves a request for v8 and back.
        if (want.Architecture == "arm64" && want.Variant == "v8" && string.IsNullOrEmpty(haveVariant)) return true;
        return want.Variant == haveVariant;
    }

    /// <summary>The index entry for <paramref name="want"/>; among several, the first (indexes list the preferred first).</summary>
    public static Descriptor Select(Manifest index, Platform want)
    {
        var entries = index.Manifests ?? [];
        var match = entries.FirstOrDefault(d => MediaTypes.IsManifest(d.MediaType) && Matches(want, d.Platform))
            ?? entries.FirstOrDefault(d => Matches(want, d.Platform));
        if (match is not null) return match;
        string have = string.Join(", ", entries.Select(d => d.Platform?.ToString() ?? "unknown"));
        throw new ImageFormatException($"no matching manifest for {want} in the manifest list entries (have: {have})");
    }
}
