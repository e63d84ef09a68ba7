using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Oci;

namespace Berth.UnitTests.Oci;

// SpecReader must build exactly what JsonSerializer builds with OciJsonContext, and fail where it
// fails. "Exactly" is checked by serializing both results with OciJsonContext and comparing bytes.
public sealed class SpecReaderTests
{
    // Sets every property of every type reachable from Spec (EveryPropertyIsSet checks that), with
    // values that are not the type's default, at the edges of their ranges, and with escapes.
    private const string Rich = """
    {
      "ociVersion": "1.2.0",
      "process": {
        "terminal": true,
        "consoleSize": { "height": 24, "width": 80 },
        "user": { "uid": 1000, "gid": 4294967295, "umask": 18, "additionalGids": [5, 0, 4294967295], "username": "al\u00efce" },
        "args": ["sh", "-c", "echo \"hi\"\n\ttab \\ \/ \u263A \uD83D\uDE00"],
        "commandLine": "sh -c true",
        "env": ["PATH=/usr/bin:/bin", "TERM=xterm", ""],
        "cwd": "/work",
        "capabilities": {
          "bounding": ["CAP_KILL", "CAP_CHOWN"],
          "effective": ["CAP_KILL"],
          "inheritable": [],
          "permitted": ["CAP_KILL", "CAP_CHOWN"],
          "ambient": ["CAP_NET_BIND_SERVICE"]
        },
        "rlimits": [
          { "type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 1024 },
          { "type": "RLIMIT_CORE", "hard": 1, "soft": 1 }
        ],
        "noNewPrivileges": true,
        "apparmorProfile": "berth-default",
        "oomScoreAdj": -1000,
        "selinuxLabel": "system_u:system_r:container_t:s0",
        "ioPriority": { "class": "IOPRIO_CLASS_BE", "priority": -2147483648 },
        "scheduler": {
          "policy": "SCHED_DEADLINE", "nice": -20, "priority": 2147483647, "flags": ["SCHED_FLAG_RESET_ON_FORK"],
          "runtime": 10000000, "deadline": 20000000, "period": 18446744073709551615
        },
        "execCPUAffinity": { "initial": "0-3", "final": "2" }
      },
      "root": { "path": "rootfs", "readonly": true },
      "hostname": "berth",
      "domainname": "example.org",
      "mounts": [
        { "destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"],
          "uidMappings": [{ "containerID": 0, "hostID": 100000, "size": 65536 }],
          "gidMappings": [{ "containerID": 1, "hostID": 200000, "size": 4294967295 }] },
        { "destination": "/data" }
      ],
      "hooks": {
        "prestart": [{ "path": "/bin/pre", "args": ["pre", "x"], "env": ["A=1"], "timeout": 5 }],
        "createRuntime": [{ "path": "/bin/cr", "timeout": -1 }],
        "createContainer": [{ "path": "/bin/cc", "args": [] }],
        "startContainer": [{ "path": "/bin/sc", "env": [] }],
        "poststart": [{ "path": "/bin/ps" }, { "path": "/bin/ps2", "timeout": 2147483647 }],
        "poststop": [{ "path": "/bin/pst", "args": ["pst"] }]
      },
      "annotations": { "org.example.key": "value", "": "empty key", "k\"q": "\u0000" },
      "linux": {
        "namespaces": [{ "type": "pid" }, { "type": "network", "path": "/proc/1/ns/net" }],
        "uidMappings": [{ "containerID": 0, "hostID": 1000, "size": 1 }],
        "gidMappings": [{ "containerID": 0, "hostID": 1001, "size": 1 }],
        "timeOffsets": { "boottime": { "secs": -9223372036854775808, "nanosecs": 999999999 }, "monotonic": { "secs": 9223372036854775807, "nanosecs": 1 } },
        "devices": [{ "path": "/dev/fuse", "type": "c", "major": 10, "minor": -229, "fileMode": 438, "uid": 1, "gid": 2 }],
        "cgroupsPath": "/berth/test",
        "resources": {
          "devices": [{ "allow": true, "type": "c", "major": 10, "minor": -1, "access": "rwm" }, { "allow": false }],
          "memory": {
            "limit": 536870912, "reservation": 268435456, "swap": -1, "kernel": 1, "kernelTCP": 2,
            "swappiness": 18446744073709551615, "disableOOMKiller": true, "useHierarchy": false, "checkBeforeUpdate": true
          },
          "cpu": {
            "shares": 1024, "quota": -1, "burst": 1000, "period": 100000, "realtimeRuntime": -9223372036854775808,
            "realtimePeriod": 1000000, "cpus": "0-3", "mems": "0", "idle": 1
          },
          "pids": { "limit": -1 },
          "blockIO": {
            "weight": 65535, "leafWeight": 10,
            "weightDevice": [{ "major": 8, "minor": 16, "weight": 500, "leafWeight": 300 }],
            "throttleReadBpsDevice": [{ "major": 8, "minor": 0, "rate": 18446744073709551615 }],
            "throttleWriteBpsDevice": [{ "major": 8, "minor": 1, "rate": 2 }],
            "throttleReadIOPSDevice": [{ "major": 8, "minor": 2, "rate": 3 }],
            "throttleWriteIOPSDevice": [{ "major": -9223372036854775808, "minor": 9223372036854775807, "rate": 4 }]
          },
          "hugepageLimits": [{ "pageSize": "2MB", "limit": 9 }],
          "network": { "classID": 1048577, "priorities": [{ "name": "eth0", "priority": 500 }] },
          "rdma": { "mlx5_1": { "hcaHandles": 3, "hcaObjects": 10000 }, "mlx4": {} },
          "unified": { "memory.high": "max", "io.weight": "default 100" }
        },
        "rootfsPropagation": "rslave",
        "seccomp": {
          "defaultAction": "SCMP_ACT_ERRNO",
          "defaultErrnoRet": 38,
          "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
          "flags": ["SECCOMP_FILTER_FLAG_LOG"],
          "listenerPath": "/run/seccomp.sock",
          "listenerMetadata": "meta",
          "syscalls": [
            { "names": ["read", "write"], "action": "SCMP_ACT_ALLOW" },
            { "names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
              "args": [{ "index": 5, "value": 18446744073709551615, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ" }] }
          ]
        },
        "sysctl": { "net.ipv4.ip_forward": "1", "kernel.shmmax": "4096" },
        "maskedPaths": ["/proc/kcore"],
        "readonlyPaths": ["/proc/sys"],
        "mountLabel": "system_u:object_r:container_file_t:s0",
        "intelRdt": { "closID": "guaranteed", "l3CacheSchema": "L3:0=7f", "enableMonitoring": true, "x": [1.5e300, null, {}] },
        "personality": { "domain": "LINUX32", "flags": ["f"] }
      }
    }
    """;

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string ToJson(Spec spec) => Encoding.UTF8.GetString(OciJson.Serialize(spec, OciJsonContext.Default.Spec));

    private static Spec Serializer(byte[] json) => OciJson.Parse(json, OciJsonContext.Default.Spec, "config.json");

    // "ok {serialized}", or "error at {path}" (or "error: {message}" without a path).
    private static string Outcome(Func<Spec> parse)
    {
        try
        {
            return "ok " + ToJson(parse());
        }
        catch (SpecException e)
        {
            const string marker = "invalid JSON at ";
            int at = e.Message.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) return "error: " + e.Message;
            int end = e.Message.IndexOf(": ", at, StringComparison.Ordinal);
            return "error at " + e.Message[(at + marker.Length)..end];
        }
    }

    private static void AssertSameAsSerializer(string json) => AssertSameAsSerializer(Utf8(json));

    private static void AssertSameAsSerializer(byte[] json)
        => Assert.Equal(Outcome(() => Serializer(json)), Outcome(() => SpecReader.ReadSpec(json)));

    // ---- (1) Equivalence ----

    [Fact]
    public void RichDocumentMatchesSerializer()
    {
        Spec expected = Serializer(Utf8(Rich));
        Spec actual = SpecReader.ReadSpec(Utf8(Rich));
        Assert.Equal(ToJson(expected), ToJson(actual));
    }

    [Fact]
    public void EveryPropertyIsSet()
    {
        // Guards the claim above, so that a property added to Spec.cs without a line in SpecReader
        // (and in Rich) fails here or in RichDocumentMatchesSerializer.
        var set = new HashSet<string>();
        CollectSet(Serializer(Utf8(Rich)), set);
        string[] missing = AllProperties(typeof(Spec)).Except(set).Order().ToArray();
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DefaultSpecMatchesSerializer(bool rootless)
    {
        byte[] json = OciJson.Serialize(DefaultSpec.Create(rootless), OciJsonContext.Default.Spec);
        Spec actual = SpecReader.ReadSpec(json);
        Assert.Equal(Encoding.UTF8.GetString(json), ToJson(actual));
        Assert.Equal(ToJson(Serializer(json)), ToJson(actual));
    }

    [Fact]
    public void ProcessMatchesSerializer()
    {
        byte[] json = Utf8(JsonNode.Parse(Rich)!["process"]!.ToJsonString());
        Process expected = OciJson.Parse(json, OciJsonContext.Default.Process, "process.json");
        Process actual = SpecReader.ReadProcess(json);
        Assert.Equal(OciJson.Serialize(expected, OciJsonContext.Default.Process), OciJson.Serialize(actual, OciJsonContext.Default.Process));
        Assert.Equal(4294967295u, actual.User.Gid);
    }

    [Fact]
    public void ResourcesMatchSerializer()
    {
        byte[] json = Utf8(JsonNode.Parse(Rich)!["linux"]!["resources"]!.ToJsonString());
        LinuxResources expected = OciJson.Parse(json, OciJsonContext.Default.LinuxResources, "resources");
        LinuxResources actual = SpecReader.ReadResources(json);
        Assert.Equal(OciJson.Serialize(expected, OciJsonContext.Default.LinuxResources), OciJson.Serialize(actual, OciJsonContext.Default.LinuxResources));
        Assert.Equal((ushort)65535, actual.BlockIo!.Weight);
    }

    [Fact]
    public void ReadsValuesAndEscapes()
    {
        Spec spec = SpecReader.ReadSpec(Utf8(Rich));
        Assert.Equal("echo \"hi\"\n\ttab \\ / \u263A \U0001F600", spec.Process!.Args![2]);
        Assert.Equal("al\u00efce", spec.Process.User.Username);
        Assert.Equal(ulong.MaxValue, spec.Process.Rlimits![0].Hard);
        Assert.Equal(long.MinValue, spec.Linux!.TimeOffsets!["boottime"].Secs);
        Assert.Equal("\0", spec.Annotations!["k\"q"]);
        Assert.Equal("guaranteed", spec.Linux.IntelRdt!.Value.GetProperty("closID").GetString());
    }

    // Every value of Rich (and the root) replaced by every kind of JSON value: both parsers must
    // agree on the result, or fail naming the same path.
    [Fact]
    public void EveryValueReplacedByEveryKindMatchesSerializer()
    {
        string[] replacements =
        [
            "null", "true", "false", "0", "1", "-1", "-0", "1.5", "1e2", "65536", "2147483648", "4294967296",
            "-2147483649", "9223372036854775808", "18446744073709551616", "-9223372036854775809",
            "\"s\"", "\"\"", "\"1\"", "[]", "[null]", "[1]", "[\"s\"]", "[{}]", "{}", "{\"a\":null}", "{\"a\":\"s\"}",
        ];
        var locations = new List<object[]>();
        CollectLocations(JsonNode.Parse(Rich), [], locations);
        Assert.True(locations.Count > 250, $"only {locations.Count} locations");

        var mismatches = new List<string>();
        foreach (object[] location in locations)
        {
            foreach (string replacement in replacements)
            {
                byte[] json = Utf8(Replace(location, replacement));
                string expected = Outcome(() => Serializer(json));
                string actual = Outcome(() => SpecReader.ReadSpec(json));
                if (expected != actual)
                    mismatches.Add($"{string.Join('/', location)} = {replacement}: serializer {Short(expected)}, SpecReader {Short(actual)}");
            }
        }
        Assert.Empty(mismatches);
    }

    [Fact]
    public void NullsStoreNullWhereTheSerializerDoes()
    {
        const string json = """
            {"ociVersion": null, "hostname": null,
             "process": {"user": null, "cwd": null, "args": ["a", null], "consoleSize": null, "oomScoreAdj": null},
             "hooks": {"prestart": [null], "poststop": null},
             "annotations": {"a": null},
             "linux": {"intelRdt": null, "timeOffsets": {"boottime": null}, "seccomp": {"syscalls": [{"names": null}]}}}
            """;
        AssertSameAsSerializer(json);
        Spec spec = SpecReader.ReadSpec(Utf8(json));
        Assert.Null(spec.OciVersion);
        Assert.Null(spec.Process!.User);
        Assert.Null(spec.Process.Args![1]);
        Assert.Null(spec.Hooks!.Prestart![0]);
        Assert.Null(spec.Linux!.IntelRdt);
    }

    [Fact]
    public void RepeatedPropertyReplacesTheEarlierValue()
    {
        const string json = """
            {"ociVersion": "1", "process": {"args": ["a"], "cwd": "/a"}, "ociVersion": "2", "process": {"cwd": "/b"},
             "annotations": {"k": "1", "j": "x", "k": "2"}}
            """;
        AssertSameAsSerializer(json);
        Spec spec = SpecReader.ReadSpec(Utf8(json));
        Assert.Equal("2", spec.OciVersion);
        Assert.Null(spec.Process!.Args);
        Assert.Equal("/b", spec.Process.Cwd);
        Assert.Equal(["k", "j"], spec.Annotations!.Keys);
        Assert.Equal("2", spec.Annotations["k"]);
    }

    [Fact]
    public void MetadataLikeNamesAreOrdinary()
    {
        // No ReferenceHandler or polymorphism in OciJsonContext: "$id" and friends are plain names.
        const string json = """{"$id": "1", "annotations": {"$id": "1", "$ref": "r", "$type": "t", "$values": "v"}, "linux": {"sysctl": {"$": ""}}}""";
        AssertSameAsSerializer(json);
        Assert.Equal(4, SpecReader.ReadSpec(Utf8(json)).Annotations!.Count);
    }

    [Fact]
    public void PropertyNamesAreCaseSensitiveAndUnescaped()
    {
        const string json = """{"OciVersion": "x", "PROCESS": {}, "oci\u0056ersion": "1.2.0", "process": {"\u0063wd": "/"}}""";
        AssertSameAsSerializer(json);
        Spec spec = SpecReader.ReadSpec(Utf8(json));
        Assert.Equal("1.2.0", spec.OciVersion);
        Assert.Equal("/", spec.Process!.Cwd);
    }

    // ---- (2) Errors of every scalar type name the path ----

    public static TheoryData<string, string> ScalarErrors()
    {
        var data = new TheoryData<string, string>();
        void Add(string template, string path, params string[] values)
        {
            foreach (string v in values) data.Add(template.Replace("@", v), path);
        }
        string[] notNumbers = ["\"1\"", "true", "[]", "{}"];
        // bool, bool?
        Add("""{"process":{"terminal":@}}""", "$.process.terminal", "null", "1", "\"true\"", "[]", "{}");
        Add("""{"linux":{"resources":{"memory":{"disableOOMKiller":@}}}}""", "$.linux.resources.memory.disableOOMKiller", "0", "\"false\"", "[]", "{}");
        // int, int?
        Add("""{"process":{"ioPriority":{"priority":@}}}""", "$.process.ioPriority.priority", ["null", "1.5", "1e2", "2147483648", "-2147483649", .. notNumbers]);
        Add("""{"process":{"oomScoreAdj":@}}""", "$.process.oomScoreAdj", ["1.0", "-1e3", "2147483648", .. notNumbers]);
        Add("""{"hooks":{"prestart":[{"path":"/x","timeout":@}]}}""", "$.hooks.prestart[0].timeout", ["0.5", "2147483648", .. notNumbers]);
        // uint, uint?, List<uint>
        Add("""{"process":{"user":{"uid":@}}}""", "$.process.user.uid", ["null", "-1", "-0", "1.5", "4294967296", .. notNumbers]);
        Add("""{"process":{"user":{"umask":@}}}""", "$.process.user.umask", ["-1", "0.0", "4294967296", .. notNumbers]);
        Add("""{"process":{"user":{"additionalGids":[1,@]}}}""", "$.process.user.additionalGids[1]", ["null", "-1", "1.5", "4294967296", .. notNumbers]);
        Add("""{"linux":{"uidMappings":[{"size":1},{"hostID":@}]}}""", "$.linux.uidMappings[1].hostID", ["null", "-5", "4294967296", .. notNumbers]);
        // long, long?
        Add("""{"linux":{"resources":{"pids":{"limit":@}}}}""", "$.linux.resources.pids.limit", ["null", "1.5", "9223372036854775808", "-9223372036854775809", .. notNumbers]);
        Add("""{"linux":{"resources":{"memory":{"limit":@}}}}""", "$.linux.resources.memory.limit", ["0.5", "1e9", "9223372036854775808", .. notNumbers]);
        // ulong, ulong?
        Add("""{"process":{"rlimits":[{"type":"RLIMIT_CORE","hard":@}]}}""", "$.process.rlimits[0].hard", ["null", "-1", "1.5", "18446744073709551616", .. notNumbers]);
        Add("""{"linux":{"resources":{"cpu":{"shares":@}}}}""", "$.linux.resources.cpu.shares", ["-1", "1e3", "18446744073709551616", .. notNumbers]);
        // ushort?
        Add("""{"linux":{"resources":{"blockIO":{"weight":@}}}}""", "$.linux.resources.blockIO.weight", ["-1", "1.5", "65536", .. notNumbers]);
        Add("""{"linux":{"resources":{"blockIO":{"weightDevice":[{"leafWeight":@}]}}}}""", "$.linux.resources.blockIO.weightDevice[0].leafWeight", "-1", "65536", "\"1\"");
        // string, List<string> item, Dictionary<string, string> value
        Add("""{"hostname":@}""", "$.hostname", "1", "true", "[]", "{}");
        Add("""{"process":{"args":["a",@]}}""", "$.process.args[1]", "1", "false", "[]", "{}");
        Add("""{"annotations":{"org.example":@}}""", "$.annotations['org.example']", "1", "true", "[]", "{}");
        Add("""{"linux":{"sysctl":{"vm.x":"1","kernel":@}}}""", "$.linux.sysctl.kernel", "2", "[\"a\"]");
        // objects, lists, dictionaries
        Add("""{"process":@}""", "$.process", "1", "\"x\"", "[]", "true");
        Add("""{"mounts":[{"destination":"/"},@]}""", "$.mounts[1]", "1", "\"x\"", "[]");
        Add("""{"process":{"args":@}}""", "$.process.args", "\"sh\"", "{}", "1");
        Add("""{"linux":{"timeOffsets":@}}""", "$.linux.timeOffsets", "[]", "\"x\"");
        Add("""{"linux":{"timeOffsets":{"boottime":@}}}""", "$.linux.timeOffsets.boottime", "[]", "1");
        return data;
    }

    [Theory]
    [MemberData(nameof(ScalarErrors))]
    public void WrongValueNamesThePath(string json, string path)
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(Utf8(json)));
        Assert.StartsWith($"config.json: invalid JSON at {path}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        // The serializer rejects it too, at the same place.
        var stj = Assert.Throws<SpecException>(() => Serializer(Utf8(json)));
        Assert.StartsWith($"config.json: invalid JSON at {path}: ", stj.Message);
    }

    [Fact]
    public void ReasonSaysWhatWasExpected()
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec("""{"process":{"user":{"uid":-1}}}"""u8));
        Assert.Equal("config.json: invalid JSON at $.process.user.uid: expected an unsigned 32-bit integer, got -1", e.Message);
        e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec("""{"process":{"args":[1]}}"""u8));
        Assert.Equal("config.json: invalid JSON at $.process.args[0]: expected a string, got 1", e.Message);
        e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec("""{"process":{"terminal":null}}"""u8));
        Assert.Equal("config.json: invalid JSON at $.process.terminal: expected true or false, got null", e.Message);
    }

    [Fact]
    public void ProcessAndResourcesNameTheirDocument()
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadProcess("""{"args":[1]}"""u8));
        Assert.StartsWith("process.json: invalid JSON at $.args[0]: ", e.Message);
        e = Assert.Throws<SpecException>(() => SpecReader.ReadResources("""{"memory":{"limit":"1g"}}"""u8));
        Assert.StartsWith("resources: invalid JSON at $.memory.limit: ", e.Message);
        e = Assert.Throws<SpecException>(() => SpecReader.ReadResources("null"u8));
        Assert.Equal("resources: document is null", e.Message);
    }

    [Theory]
    [InlineData("", "$")]
    [InlineData("  /* only a comment */ ", "$")]
    [InlineData("[]", "$")]
    [InlineData("5", "$")]
    [InlineData("\"config\"", "$")]
    [InlineData("true", "$")]
    [InlineData("{} {}", "$")]
    [InlineData("{}x", "$")]
    [InlineData("\uFEFF{}", "$")]
    public void RootMustBeOneObject(string json, string path)
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(Utf8(json)));
        Assert.StartsWith($"config.json: invalid JSON at {path}: ", e.Message);
        AssertSameAsSerializer(json);
    }

    [Fact]
    public void NullRootIsNoDocument()
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(" null "u8));
        Assert.Equal("config.json: document is null", e.Message);
        AssertSameAsSerializer("null");
    }

    [Theory]
    [InlineData("""{"ociVersion":"\ud800"}""", "$.ociVersion")]
    [InlineData("""{"process":{"args":["\udc00x"]}}""", "$.process.args[0]")]
    public void LoneSurrogateIsAnError(string json, string path)
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(Utf8(json)));
        Assert.StartsWith($"config.json: invalid JSON at {path}: ", e.Message);
        AssertSameAsSerializer(json);
    }

    [Fact]
    public void InvalidUtf8InAStringIsAnError()
    {
        byte[] json = [.. """{"hostname":"a"""u8, 0xFF, .. "\"}"u8];
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(json));
        Assert.StartsWith("config.json: invalid JSON at $.hostname: ", e.Message);
        AssertSameAsSerializer(json);
    }

    // The serializer matches property names as bytes: an invalid UTF-8 name is just unknown, but
    // a dictionary key must be a string, and an escaped lone surrogate fails unescaping.
    public static TheoryData<byte[], string?> BadNames() => new()
    {
        { [.. """{"ociVersion":"1","a"""u8, 0xFF, .. "\":[1]}"u8], null },
        { [.. """{"process":{"cw"""u8, 0xC3, .. "\":5}}"u8], null },
        { [.. """{"annotations":{"a"""u8, 0xFF, .. "\":\"v\"}}"u8], "$.annotations" },
        { """{"a\ud800":1}"""u8.ToArray(), "$" },
        { """{"process":{"a\udfff":1}}"""u8.ToArray(), "$.process" },
        { """{"linux":{"sysctl":{"a\ud800":"1"}}}"""u8.ToArray(), "$.linux.sysctl" },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void InvalidPropertyNamesMatchSerializer(byte[] json, string? path)
    {
        if (path is null) SpecReader.ReadSpec(json);
        else Assert.StartsWith($"config.json: invalid JSON at {path}: ", Assert.Throws<SpecException>(() => SpecReader.ReadSpec(json)).Message);
        AssertSameAsSerializer(json);
    }

    [Fact]
    public void SpecialPropertyNamesAreBracketedInThePath()
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec("""{"annotations":{"a'b c":1}}"""u8));
        Assert.StartsWith("config.json: invalid JSON at $.annotations['a'b c']: ", e.Message);
        e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec("""{"linux":{"resources":{"unified":{"memory.max":false}}}}"""u8));
        Assert.StartsWith("config.json: invalid JSON at $.linux.resources.unified['memory.max']: ", e.Message);
        e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec("""{"linux":{"resources":{"rdma":{"mlx$5":{"hcaHandles":-1}}}}}"""u8));
        Assert.StartsWith("config.json: invalid JSON at $.linux.resources.rdma.mlx$5.hcaHandles: ", e.Message);
    }

    // ---- (3) Unknown properties ----

    [Fact]
    public void UnknownPropertiesOfEveryKindAreSkipped()
    {
        const string unknown = """
            "u1": "s", "u2": "\u00e9\"\\", "u3": 0, "u4": -1.5e-300, "u5": 123456789012345678901234567890,
            "u6": true, "u7": false, "u8": null, "u9": [], "u10": {}, "u11": [1, "a", null, [[{}]], {"b": [true]}],
            "u12": {"ociVersion": "nested", "process": {"args": [1]}}, "$id": "1", "$ref": "2", "$type": "x"
            """;
        string json = $$"""
            { {{unknown}}, "ociVersion": "1.2.0",
              "process": { {{unknown}}, "args": ["sh"], "user": { {{unknown}}, "uid": 1 } },
              "mounts": [{ {{unknown}}, "destination": "/a" }],
              "linux": { {{unknown}}, "resources": { {{unknown}}, "pids": { {{unknown}}, "limit": 5 } },
                         "intelRdt": { {{unknown}} } } }
            """;
        AssertSameAsSerializer(json);
        Spec spec = SpecReader.ReadSpec(Utf8(json));
        Assert.Equal("1.2.0", spec.OciVersion);
        Assert.Equal(["sh"], spec.Process!.Args!);
        Assert.Equal(1u, spec.Process.User.Uid);
        Assert.Equal("/a", spec.Mounts![0].Destination);
        Assert.Equal(5, spec.Linux!.Resources!.Pids!.Limit);
        Assert.Equal(15, spec.Linux.IntelRdt!.Value.EnumerateObject().Count());
    }

    [Fact]
    public void DeepUnknownValueWithinTheLimitIsSkipped()
    {
        // Root object + 60 arrays: under the reader's (and the serializer's) MaxDepth of 64.
        string json = "{\"x\":" + new string('[', 60) + new string(']', 60) + ",\"ociVersion\":\"1\"}";
        Assert.Equal("1", SpecReader.ReadSpec(Utf8(json)).OciVersion);
        AssertSameAsSerializer(json);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(100_000)]
    public void TooDeepUnknownValueIsRejectedCleanly(int depth)
    {
        string json = "{\"x\":" + new string('[', depth) + new string(']', depth) + ",\"ociVersion\":\"1\"}";
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(Utf8(json)));
        Assert.StartsWith("config.json: invalid JSON at $.x: ", e.Message);
        Assert.Contains("depth", e.Message);
        Assert.Throws<SpecException>(() => Serializer(Utf8(json)));
    }

    // ---- (4) Comments and trailing commas ----

    [Fact]
    public void CommentsAndTrailingCommasAreAccepted()
    {
        const string json = """
            // config.json, hand-edited
            { /* before */ "ociVersion": /* in */ "1.2.0", // after
              "process": { "args": [ "sh", /* item */ "-c", ], "env": [ ], "user": { "uid": 0, }, },
              "mounts": [ { "destination": "/x", }, ],
              "annotations": { "a": "b", /* c */ },
              "linux": { "intelRdt": { "closID": "c", /* kept out of the element */ }, },
            } /* trailing comment */ // and a last one
            """;
        AssertSameAsSerializer(json);
        Spec spec = SpecReader.ReadSpec(Utf8(json));
        Assert.Equal("1.2.0", spec.OciVersion);
        Assert.Equal(["sh", "-c"], spec.Process!.Args!);
        Assert.Empty(spec.Process.Env!);
        Assert.Equal("/x", Assert.Single(spec.Mounts!).Destination);
        Assert.Equal("b", spec.Annotations!["a"]);
        Assert.Equal("c", spec.Linux!.IntelRdt!.Value.GetProperty("closID").GetString());
    }

    [Theory]
    [InlineData("""{"ociVersion":"1",,}""")]
    [InlineData("""{"process":{"args":[,]}}""")]
    [InlineData("""{"process":{"args":["a",,]}}""")]
    [InlineData("""{"ociVersion":"1" /* unterminated""")]
    [InlineData("""{"ociVersion":'1'}""")]
    [InlineData("""{ociVersion:"1"}""")]
    public void MalformedJsonIsASpecException(string json)
    {
        var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(Utf8(json)));
        Assert.StartsWith("config.json: invalid JSON at $", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        AssertSameAsSerializer(json);
    }

    // ---- (5) Truncated and corrupted input ----

    [Fact]
    public void EveryTruncationIsASpecException()
    {
        byte[] rich = Utf8(Rich);
        for (int length = 0; length < rich.Length; length++)
        {
            byte[] prefix = rich[..length];
            // Anything but SpecException escapes and fails the test.
            var e = Assert.Throws<SpecException>(() => SpecReader.ReadSpec(prefix));
            Assert.StartsWith("config.json: invalid JSON at $", e.Message);
            Assert.Throws<SpecException>(() => Serializer(prefix));
        }
    }

    [Fact]
    public void EveryTruncatedProcessAndResourcesIsASpecException()
    {
        byte[] process = Utf8(JsonNode.Parse(Rich)!["process"]!.ToJsonString());
        for (int length = 0; length < process.Length; length++)
            Assert.Throws<SpecException>(() => SpecReader.ReadProcess(process.AsSpan(0, length)));
        byte[] resources = Utf8(JsonNode.Parse(Rich)!["linux"]!["resources"]!.ToJsonString());
        for (int length = 0; length < resources.Length; length++)
            Assert.Throws<SpecException>(() => SpecReader.ReadResources(resources.AsSpan(0, length)));
    }

    // Each byte of Rich overwritten with a structural or invalid byte: the result is either what the
    // serializer builds or a SpecException (paths of malformed documents may differ).
    [Fact]
    public void EveryCorruptedByteMatchesSerializerOrFails()
    {
        byte[] rich = Utf8(Rich);
        byte[] replacements = [(byte)'}', (byte)']', (byte)',', (byte)'"', (byte)'\\', (byte)'/', (byte)'0', (byte)'-', (byte)'n', 0xFF, 0xC3, 0x01];
        var mismatches = new List<string>();
        for (int i = 0; i < rich.Length; i++)
        {
            foreach (byte b in replacements)
            {
                if (rich[i] == b) continue;
                byte[] json = (byte[])rich.Clone();
                json[i] = b;
                string expected = Outcome(() => Serializer(json));
                string actual = Outcome(() => SpecReader.ReadSpec(json));
                bool same = expected.StartsWith("ok ", StringComparison.Ordinal) || actual.StartsWith("ok ", StringComparison.Ordinal)
                    ? expected == actual
                    : true;
                if (!same) mismatches.Add($"byte {i} = 0x{b:X2}: serializer {Short(expected)}, SpecReader {Short(actual)}");
            }
        }
        Assert.Empty(mismatches);
    }

    // ---- helpers ----

    private static string Short(string outcome) => outcome.Length <= 80 ? outcome : outcome[..80] + "…";

    // Every value position of a document, as paths of property names and indexes.
    private static void CollectLocations(JsonNode? node, List<object> path, List<object[]> into)
    {
        into.Add([.. path]);
        if (node is JsonObject o)
        {
            foreach (KeyValuePair<string, JsonNode?> p in o)
            {
                path.Add(p.Key);
                CollectLocations(p.Value, path, into);
                path.RemoveAt(path.Count - 1);
            }
        }
        else if (node is JsonArray a)
        {
            for (int i = 0; i < a.Count; i++)
            {
                path.Add(i);
                CollectLocations(a[i], path, into);
                path.RemoveAt(path.Count - 1);
            }
        }
    }

    private static string Replace(object[] location, string replacement)
    {
        if (location.Length == 0) return replacement;
        JsonNode root = JsonNode.Parse(Rich)!;
        JsonNode parent = root;
        foreach (object step in location[..^1]) parent = step is string key ? parent[key]! : parent[(int)step]!;
        JsonNode? value = JsonNode.Parse(replacement);
        if (location[^1] is string name) parent[name] = value;
        else parent[(int)location[^1]] = value;
        return root.ToJsonString();
    }

    // "Type.Property" for every property of every model type reachable from root.
    private static IEnumerable<string> AllProperties(Type root)
    {
        var seen = new HashSet<Type>();
        var todo = new Queue<Type>([root]);
        while (todo.TryDequeue(out Type? type))
        {
            if (!seen.Add(type)) continue;
            foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                yield return $"{type.Name}.{p.Name}";
                foreach (Type t in ModelTypes(p.PropertyType)) todo.Enqueue(t);
            }
        }
    }

    private static IEnumerable<Type> ModelTypes(Type type)
    {
        if (type.Namespace == typeof(Spec).Namespace && type.IsClass) yield return type;
        if (type.IsGenericType)
            foreach (Type arg in type.GetGenericArguments())
                foreach (Type t in ModelTypes(arg)) yield return t;
    }

    // "Type.Property" for every property holding a value other than null or its type's default.
    private static void CollectSet(object? value, HashSet<string> set)
    {
        switch (value)
        {
            case null:
                return;
            case IDictionary dictionary:
                foreach (object? item in dictionary.Values) CollectSet(item, set);
                return;
            case IList list:
                foreach (object? item in list) CollectSet(item, set);
                return;
        }
        Type type = value.GetType();
        if (type.Namespace != typeof(Spec).Namespace) return;
        foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            object? v = p.GetValue(value);
            // A Nullable<T> counts as set when it has a value, even the default one.
            bool isDefault = v is null
                || (p.PropertyType.IsValueType && Nullable.GetUnderlyingType(p.PropertyType) is null
                    && v.Equals(Activator.CreateInstance(p.PropertyType)));
            if (!isDefault) set.Add($"{type.Name}.{p.Name}");
            CollectSet(v, set);
        }
    }
}
