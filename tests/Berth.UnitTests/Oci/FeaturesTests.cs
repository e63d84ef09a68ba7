using System.Text.Json;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Mounts;

namespace Berth.UnitTests.Oci;

public sealed class FeaturesTests
{
    private static Features Build(FeatureSupport? support = null)
        => Features.Build(Capabilities.Names, MountOptions.Known, support);

    private static JsonElement ToJson(Features features)
        => JsonDocument.Parse(OciJson.Serialize(features, OciJsonContext.Default.Features)).RootElement;

    [Fact]
    public void VersionsSpanWhatTheValidatorAccepts()
    {
        JsonElement json = ToJson(Build());
        Assert.Equal("1.0.0", json.GetProperty("ociVersionMin").GetString());
        Assert.Equal(SpecVersion.Current, json.GetProperty("ociVersionMax").GetString());
    }

    [Fact]
    public void ListsComeFromTheRuntimeTables()
    {
        JsonElement json = ToJson(Build());
        JsonElement linux = json.GetProperty("linux");
        Assert.Equal(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"], Strings(json.GetProperty("hooks")));
        Assert.Equal(MountOptions.Known, Strings(json.GetProperty("mountOptions")));
        Assert.Equal(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"], Strings(linux.GetProperty("namespaces")));
        Assert.Equal(41, linux.GetProperty("capabilities").GetArrayLength());
        Assert.Equal("CAP_CHECKPOINT_RESTORE", linux.GetProperty("capabilities")[40].GetString());
    }

    [Fact]
    public void SeccompListsTheSpecVocabulary()
    {
        JsonElement seccomp = ToJson(Build(new FeatureSupport { Seccomp = true })).GetProperty("linux").GetProperty("seccomp");
        Assert.True(seccomp.GetProperty("enabled").GetBoolean());
        Assert.Contains("SCMP_ACT_NOTIFY", Strings(seccomp.GetProperty("actions")));
        Assert.Equal(7, seccomp.GetProperty("operators").GetArrayLength());
        Assert.Contains("SCMP_ARCH_X86_64", Strings(seccomp.GetProperty("archs")));
        Assert.Equal(SeccompNames.Flags, Strings(seccomp.GetProperty("knownFlags")));
        Assert.False(seccomp.TryGetProperty("supportedFlags", out _));
    }

    [Fact]
    public void SupportedSeccompFlagsAreReportedWhenKnown()
    {
        var support = new FeatureSupport { Seccomp = true, SeccompSupportedFlags = ["SECCOMP_FILTER_FLAG_LOG"] };
        JsonElement seccomp = ToJson(Build(support)).GetProperty("linux").GetProperty("seccomp");
        Assert.Equal(["SECCOMP_FILTER_FLAG_LOG"], Strings(seccomp.GetProperty("supportedFlags")));
    }

    [Fact]
    public void DisabledSeccompListsNothing()
    {
        JsonElement seccomp = ToJson(Build(new FeatureSupport { Seccomp = false })).GetProperty("linux").GetProperty("seccomp");
        Assert.False(seccomp.GetProperty("enabled").GetBoolean());
        Assert.False(seccomp.TryGetProperty("actions", out _));
    }

    [Fact]
    public void UnknownFeaturesAreOmittedNotFalse()
    {
        JsonElement linux = ToJson(Build()).GetProperty("linux");
        Assert.False(linux.TryGetProperty("cgroup", out _));
        Assert.False(linux.TryGetProperty("apparmor", out _));
        Assert.False(linux.TryGetProperty("selinux", out _));
        Assert.False(linux.GetProperty("seccomp").TryGetProperty("enabled", out _));
        // What Berth.Oci refuses is known to be off.
        Assert.False(linux.GetProperty("intelRdt").GetProperty("enabled").GetBoolean());
        Assert.False(linux.GetProperty("mountExtensions").GetProperty("idmap").GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public void CgroupSupportIsReportedAsGiven()
    {
        var support = new FeatureSupport { CgroupV1 = false, CgroupV2 = true, Systemd = false };
        JsonElement cgroup = ToJson(Build(support)).GetProperty("linux").GetProperty("cgroup");
        Assert.False(cgroup.GetProperty("v1").GetBoolean());
        Assert.True(cgroup.GetProperty("v2").GetBoolean());
        Assert.False(cgroup.GetProperty("systemd").GetBoolean());
        Assert.False(cgroup.TryGetProperty("rdma", out _));
    }

    [Fact]
    public void AnnotationsAreCopied()
    {
        var features = Features.Build(Capabilities.Names, MountOptions.Known, annotations: new Dictionary<string, string> { ["io.berth.version"] = "0.1" });
        Assert.Equal("0.1", ToJson(features).GetProperty("annotations").GetProperty("io.berth.version").GetString());
    }

    [Fact]
    public void RoundTripsThroughOciJson()
    {
        byte[] first = OciJson.Serialize(Build(new FeatureSupport { CgroupV2 = true, Seccomp = true }), OciJsonContext.Default.Features);
        Features parsed = OciJson.Parse(first, OciJsonContext.Default.Features, "features");
        Assert.Equal(first, OciJson.Serialize(parsed, OciJsonContext.Default.Features));
    }

    [Fact]
    public void ValidatorAcceptsEveryAdvertisedName()
    {
        Features f = Build();
        Assert.Equal(SpecValidator.CapabilityNames, f.Linux!.Capabilities!);
        Assert.Equal(NamespaceType.All, f.Linux.Namespaces!);
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();
}
