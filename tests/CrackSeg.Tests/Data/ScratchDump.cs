using CrackSeg.Common;
using CrackSeg.Data;
using CrackSeg.Tests.TestSupport;
namespace CrackSeg.Tests.Data;
public class ScratchDump
{
    [Fact]
    public void Dump()
    {
        var lines = new List<string>();
        foreach (var (name, c) in BadFileCorpusTests.Cases)
        {
            using var dir = new TempDir();
            BadFileCorpusTests.WriteGoodPairs(dir.Path, 2);
            c.Write(dir.Path);
            try { DatasetIndex.Build(BadFileCorpusTests.Config(dir.Path, "fail"), 1, RunLog.Silent); }
            catch (InputException e) { lines.Add(name + " => " + e.Message.Replace(dir.Path, "ROOT")); }
        }
        File.WriteAllLines("/tmp/dump.txt", lines);
    }
}
