package workflow_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

const txnImportHeader = "SKU 货号,Quantity 数量,Unit 单位,Unit price 单价,Cartons 箱数,Net kg 净重,Gross kg 毛重\n"

// txnXLSX makes a workbook whose first sheet holds rows (strings stay text, numbers numbers).
func txnXLSX(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportLines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)

		t.Run("OKCSV", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			res, err := w.svc.ImportLines(ctx, a, tr.ID, workflow.ImportInput{FileName: "lines.csv", Version: tr.Version,
				Data: []byte(txnImportHeader + "EAR-001,1200,,0.0035,2,9.6,10.4\n,,,,,,\nCUP-002,\"1,000\",个,1.25,10,50,55.5\n")}, nil)
			if err != nil || !res.OK() {
				t.Fatalf("import: %v %+v", err, res)
			}
			got := w.reload(t, tr.ID)
			if res.Imported != 2 || res.FirstLine != 1 || res.LastLine != 2 || got.LineCount != 2 || got.TotalAmount != 420+125000 || got.Version != tr.Version+1 {
				t.Errorf("result %+v, transaction %+v", res, got)
			}
			ls := w.lines(t, tr.ID)
			if ls[0].Unit != "025" || ls[1].Unit != "007" || !workflow.ValidTraceCode(ls[1].TraceCode) {
				t.Errorf("lines %+v", ls)
			}
		})
		t.Run("OKXLSXOneLanguageHeaders", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			data := txnXLSX(t, [][]any{
				{"货号", "数量", "单价", "箱数", "净重", "毛重"},
				{"EAR-001", 120, 0.1 + 0.2, 1, 2.5, 3},
				{"CUP-002", "36", "1.5", "3", "12", "12.8"},
			})
			res, err := w.svc.ImportLines(ctx, a, tr.ID, workflow.ImportInput{FileName: "明细.xlsx", Data: data, Version: tr.Version}, nil)
			if err != nil || !res.OK() {
				t.Fatalf("import: %v %+v", err, res)
			}
			ls := w.lines(t, tr.ID)
			if len(ls) != 2 || ls[0].UnitPrice != 3000 || ls[0].Amount != 3600 {
				t.Errorf("lines %+v", ls)
			}
		})
		t.Run("AllOrNothingWhenAMiddleRowIsBad", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			data := txnImportHeader +
				"EAR-001,100,,1,1,1,1\n" + // row 2: good
				"NOPE-9,abc,,1.00001,1,5,4\n" + // row 3: bad SKU, quantity, price, gross < net
				"CUP-002,100,,1,1,1,1\n" + // row 4: good
				"TOY-003,1,,1,-1,1,1\n" // row 5: pending goods, negative cartons
			res, err := w.svc.ImportLines(ctx, a, tr.ID, workflow.ImportInput{FileName: "lines.csv", Data: []byte(data), Version: tr.Version}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() || res.Imported != 0 || len(w.lines(t, tr.ID)) != 0 || w.reload(t, tr.ID).Version != tr.Version {
				t.Fatalf("something was imported: %+v", res)
			}
			want := []string{"3 SKU 货号", "3 Quantity 数量", "3 Unit price 单价", "3 Gross kg 毛重", "5 SKU 货号", "5 Cartons 箱数"}
			var got []string
			for _, e := range res.Errors {
				got = append(got, fmt.Sprintf("%d %s", e.Row, e.Column))
				if e.Text.En == "" || e.Text.Zh == "" {
					t.Errorf("row %d %s: message not in both languages", e.Row, e.Column)
				}
			}
			if strings.Join(got, "|") != strings.Join(want, "|") || res.ErrorCount != len(want) {
				t.Errorf("errors %v, want %v", got, want)
			}
		})
		t.Run("GB18030CSV", func(t *testing.T) {
			tr := w.draft(t, testkit.UserMerchantA)
			gbk, err := simplifiedchinese.GB18030.NewEncoder().String("货号;数量;单价;箱数;净重;毛重\nCUP-002;2;3;1;1;1.5\n")
			if err != nil {
				t.Fatal(err)
			}
			res, err := w.svc.ImportLines(ctx, a, tr.ID, workflow.ImportInput{FileName: "excel.csv", Data: []byte(gbk), Version: tr.Version}, nil)
			if err != nil || !res.OK() {
				t.Fatalf("import: %v %+v", err, res)
			}
		})
		for _, tc := range []struct {
			name, file string
			data       []byte
			want       string
		}{
			{"ErrMissingColumn", "l.csv", []byte("SKU,Quantity,Unit price\nCUP-002,1,1\n"), "Cartons 箱数"},
			{"ErrOldXLS", "l.xls", []byte("\xd0\xcf\x11\xe0"), ".xlsx"},
			{"ErrHTMLNamedCSV", "l.csv", []byte("<html>\x00</html>"), "does not match"},
			{"ErrTextNamedXLSX", "l.xlsx", []byte(txnImportHeader), "does not match"},
			{"ErrEmpty", "l.csv", nil, "empty"},
			{"ErrHeaderOnly", "l.csv", []byte(txnImportHeader), "no lines"},
			{"ErrTooManyRows", "l.csv", []byte(txnImportHeader + strings.Repeat("CUP-002,1,,1,1,1,1\n", workflow.MaxImportRows+1)), "20000"},
			{"ErrZipBomb", "bomb.xlsx", txnZipBomb(t, false), "unpacks to more than"},
			{"ErrZipBombLyingHeader", "bomb.xlsx", txnZipBomb(t, true), "cannot be read"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tr := w.draft(t, testkit.UserMerchantA)
				start := time.Now()
				res, err := w.svc.ImportLines(ctx, a, tr.ID, workflow.ImportInput{FileName: tc.file, Data: tc.data, Version: tr.Version}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(res.Problem.En, tc.want) || res.Problem.Zh == "" || res.Imported != 0 {
					t.Errorf("problem %+v, want %q", res.Problem, tc.want)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("took %v", d)
				}
			})
		}
	})
}

// txnZipBomb is a small .xlsx-looking zip whose worksheet inflates to 80 MB of spaces. With lie, the
// worksheet's header claims 1 kB, so only the zip reader's own check stops it.
func txnZipBomb(t testing.TB, lie bool) []byte {
	t.Helper()
	const size = 80 << 20
	var compressed bytes.Buffer
	fw, _ := flate.NewWriter(&compressed, flate.BestCompression)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	crc := crc32.NewIEEE()
	for range size >> 20 {
		fw.Write(chunk)
		crc.Write(chunk)
	}
	fw.Close()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	ct, _ := zw.Create("[Content_Types].xml")
	ct.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`))
	declared := uint64(size)
	if lie {
		declared = 1000
	}
	raw, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(compressed.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	raw.Write(compressed.Bytes())
	zw.Close()
	if b.Len() > 1<<20 {
		t.Fatalf("bomb of %d bytes is not small", b.Len())
	}
	return b.Bytes()
}

func TestStartImportRunsAsAJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		tr := w.draft(t, testkit.UserMerchantA)
		job, err := w.svc.StartImport(ctx, a, tr.ID, workflow.ImportInput{FileName: "l.csv", Version: tr.Version,
			Data: []byte(txnImportHeader + strings.Repeat("CUP-002,1,,1,1,1,1\n", 1200))})
		if err != nil {
			t.Fatal(err)
		}
		st := waitImport(t, w.svc, a, job)
		if st.State != workflow.ImportDone || st.Total != 1200 || st.Parsed != 1200 || st.Checked != 1200 || st.Written != 1200 || st.Percent() != 100 ||
			st.Result == nil || st.Result.Imported != 1200 || st.FileName != "l.csv" {
			t.Errorf("status %+v", st)
		}
		// Any service over the same database (another instance) shows the job.
		other := workflow.NewService(db, w.svc.Ref(), w.svc.Now, nil)
		if st2, err := other.ImportStatus(ctx, a, job); err != nil || st2.State != workflow.ImportDone || st2.Result.Imported != 1200 {
			t.Errorf("another instance: %+v %v", st2, err)
		}
		if _, err := w.svc.ImportStatus(ctx, w.actor(t, testkit.UserMerchantB), job); err == nil {
			t.Error("another user sees the job")
		}
		var row models.ImportJob
		if err := db.Take(&row, job).Error; err != nil || row.FinishedAt == nil || len(row.FileSHA256) != 64 || row.TransactionID != tr.ID {
			t.Errorf("job row %+v %v", row, err)
		}
		_, err = w.svc.StartImport(ctx, a, tr.ID, workflow.ImportInput{FileName: "l.csv", Version: tr.Version, Data: []byte("x")})
		wantTxnErr(t, err, "conflict", "") // the version moved on with the import
	})
}

// TestImportJobOfADeadInstance: a job still running whose heartbeat stopped (its instance died)
// is shown as failed with a message saying nothing was imported, and does not count against the
// user's running imports.
func TestImportJobOfADeadInstance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		tr := w.draft(t, testkit.UserMerchantA)
		now := w.svc.Now()
		var ids []int64
		for _, beat := range []time.Duration{2 * time.Minute, 3 * time.Minute} {
			j := models.ImportJob{UserID: a.UserID, TransactionID: tr.ID, FileName: "dead.csv", FileSHA256: strings.Repeat("0", 64),
				Status: models.ImportRunning, TotalRows: 10, ParsedRows: 10, CreatedAt: now.Add(-beat), HeartbeatAt: now.Add(-beat)}
			if err := db.Create(&j).Error; err != nil {
				t.Fatal(err)
			}
			ids = append(ids, j.ID)
		}
		st, err := w.svc.ImportStatus(ctx, a, ids[0])
		if err != nil || st.State != workflow.ImportFailed || st.Err == nil || !strings.Contains(st.Err.Error(), "nothing was imported") {
			t.Errorf("dead job: %+v %v", st, err)
		}
		job, err := w.svc.StartImport(ctx, a, tr.ID, workflow.ImportInput{FileName: "l.csv", Version: tr.Version,
			Data: []byte(txnImportHeader + "CUP-002,1,,1,1,1,1\n")})
		if err != nil {
			t.Fatalf("dead jobs count as running: %v", err)
		}
		if st := waitImport(t, w.svc, a, job); st.State != workflow.ImportDone {
			t.Errorf("status %+v", st)
		}
	})
}

// waitImport polls a job until it stops running.
func waitImport(t *testing.T, svc *workflow.Service, a workflow.Actor, job int64) workflow.ImportStatus {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		st, err := svc.ImportStatus(context.Background(), a, job)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != workflow.ImportRunning {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("import did not finish")
	return workflow.ImportStatus{}
}

// BenchmarkImport10000Lines imports a file of 10,000 lines into a draft on SQLite (the default
// database): reading, checking every row against the goods, drawing trace codes and writing in
// batches inside one transaction. See docs/PERFORMANCE.md.
func BenchmarkImport10000Lines(b *testing.B) {
	const n = 10_000
	var csvData bytes.Buffer
	csvData.WriteString(txnImportHeader)
	rows := [][]any{{"SKU 货号", "Quantity 数量", "Unit 单位", "Unit price 单价", "Cartons 箱数", "Net kg 净重", "Gross kg 毛重"}}
	for i := range n {
		sku := []string{"EAR-001", "CUP-002"}[i%2]
		fmt.Fprintf(&csvData, "%s,%d,,%d.%04d,%d,%d.5,%d.8\n", sku, 10+i%500, 1+i%7, i%10000, 1+i%9, 3+i%40, 4+i%40)
		rows = append(rows, []any{sku, 10 + i%500, "", fmt.Sprintf("%d.%04d", 1+i%7, i%10000), 1 + i%9, float64(3+i%40) + 0.5, float64(4+i%40) + 0.8})
	}
	files := map[string][]byte{"csv": csvData.Bytes(), "xlsx": txnXLSX(b, rows)}
	for _, format := range []string{"csv", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			w := newTxnWorld(b, dbtest.SQLite(b))
			ctx := context.Background()
			a := w.actor(b, testkit.UserMerchantA)
			b.SetBytes(int64(len(files[format])))
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				tr := w.draft(b, testkit.UserMerchantA)
				b.StartTimer()
				res, err := w.svc.ImportLines(ctx, a, tr.ID, workflow.ImportInput{FileName: "lines." + format, Data: files[format], Version: tr.Version}, nil)
				if err != nil || !res.OK() || res.Imported != n {
					b.Fatalf("import: %v %+v", err, res.Errors)
				}
			}
			b.StopTimer()
			var count int64
			w.db.Model(&models.TransactionLine{}).Count(&count)
			if count != int64(n*b.N) {
				b.Fatalf("%d lines in the database", count)
			}
		})
	}
}
