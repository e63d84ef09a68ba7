using System.Text.Json;
using Berth.Runtime;

namespace Berth.UnitTests.Runtime;

/// <summary>state.json is written by hand: it must be valid JSON that reads back to the same record.</summary>
public sealed class StateRecordTests
{
    [Fact]
    public void RecordRoundTripsWithCharactersThatNeedEscaping()
    {
        var r = new ContainerRecord
        {
            Id = "c1", Bundle = "/tmp/b \"quoted\" \\ back", Rootfs = "/tmp/rootfs\n\ttab\u0001", Pid = 42, PidStartTime = 123456789012,
            Created = new DateTime(2026, 11, 23, 1, 2, 3, 456, DateTimeKind.Utc), Status = "created", CgroupsPath = "/berth/c1",
            NewNamespaces = 0x7C020000, Terminal = true, Annotations = new() { ["k\"ey"] = "välue ✓", ["empty"] = "" },
        };
        byte[] json = r.ToJson();
        using (JsonDocument.Parse(json)) { }   // a standard parser accepts it
        var back = ContainerRecord.FromJson(json);
        Assert.Equal((r.Id, r.Bundle, r.Rootfs, r.Pid, r.PidStartTime, r.Created, r.Status, r.CgroupsPath, r.NewNamespaces, r.Terminal),
            (back.Id, back.Bundle, back.Rootfs, back.Pid, back.PidStartTime, back.Created, back.Status, back.CgroupsPath, back.NewNamespaces, back.Terminal));
        Assert.Equal(r.Annotations, back.Annotations);
    }

    [Theory]
    [InlineData("abc-1.2_x+y", true)]
    [InlineData("größe", true)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    public void ContainerIdsAreWordCharactersPlusDashDotAndPlus(string id, bool valid)
    {
        if (valid) StateStore.CheckId(id);
        else Assert.Throws<RuntimeException>(() => StateStore.CheckId(id));
    }
}
