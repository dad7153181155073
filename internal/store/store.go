// Package store keeps Holdfast's data in one SQLite file: schema
// migrations, sessions, messages and the rows of the event log.
//
// There is one writer connection (all mutations go through Write, which the
// event log serialises and group-commits) and a pool of read-only
// connections for snapshots and replay.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNotFound is returned for unknown session or message ids.
var ErrNotFound = errors.New("not found")

// ErrNoFTS5 means this binary was built without SQLite's full-text search.
var ErrNoFTS5 = errors.New("this build of Holdfast has no SQLite FTS5 (full-text search); build it with `-tags sqlite_fts5` (make build does)")

// ErrSchemaTooNew means the database was written by a newer Holdfast.
var ErrSchemaTooNew = errors.New("database schema is newer than this version of Holdfast knows")

// Store is an open Holdfast database.
type Store struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	epoch  string
	ids    *idGen

	insertOne, insertMany *sql.Stmt
}

// eventsPerInsert is how many event rows one multi-row INSERT carries.
const eventsPerInsert = 64

// Options tune Open. The zero value is fine.
type Options struct {
	// Readers is the size of the read-only connection pool (default 4).
	Readers int
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// BusyTimeout is how long a write waits for another program's write
	// lock before it fails with ErrBusy (default DefaultBusyTimeout).
	BusyTimeout time.Duration
}

// Open opens (creating if needed) the database at path, backs it up and
// migrates it when its schema is older, and refuses a file it cannot
// safely use: unreadable, read-only, corrupt, or newer than this code.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if err := checkFTS5(ctx); err != nil {
		return nil, err
	}
	existed, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	writer := sql.OpenDB(newConnector(dsn(path, false, opts.BusyTimeout), writerPragmas()...))
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	s := &Store{path: path, writer: writer, ids: newIDGen(opts.Now)}
	if err := s.migrate(ctx, existed); err != nil {
		writer.Close()
		return nil, err
	}
	reader := sql.OpenDB(newConnector(dsn(path, true, opts.BusyTimeout)))
	reader.SetMaxOpenConns(opts.Readers)
	reader.SetMaxIdleConns(opts.Readers)
	s.reader = reader
	if err := writer.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='epoch'`).Scan(&s.epoch); err != nil {
		s.Close()
		return nil, fmt.Errorf("read epoch from %s: %w", path, err)
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkFile refuses files that SQLite would open but Holdfast must not use,
// and reports whether the database already existed.
func checkFile(path string) (bool, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("create data folder %s: %w", dir, err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspect database %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return false, fmt.Errorf("database %s is not a regular file", path)
	}
	// Checked on the mode bits, not by trying to write: root can write a
	// 0444 file, but the user who made it read-only meant it.
	if info.Mode().Perm()&0o200 == 0 {
		return false, fmt.Errorf("database %s is read-only (mode %v); make it writable or point HOLDFAST_HOME elsewhere", path, info.Mode().Perm())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Errorf("database %s cannot be opened for writing: %w", path, err)
	}
	defer f.Close()
	header := make([]byte, 16)
	n, _ := f.Read(header)
	if n > 0 && (n < 16 || string(header) != "SQLite format 3\x00") {
		return false, fmt.Errorf("database %s is not a SQLite database (corrupt or foreign file); it was left untouched", path)
	}
	return n > 0, nil
}

func dsn(path string, readOnly bool, busy time.Duration) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func (s *Store) prepare(ctx context.Context) error {
	row := "(?, ?, ?, ?, ?)"
	q := "INSERT INTO events(seq, session_id, type, data, created_at) VALUES "
	var err error
	if s.insertOne, err = s.writer.PrepareContext(ctx, q+row); err != nil {
		return fmt.Errorf("prepare event insert: %w", err)
	}
	many := q + strings.TrimSuffix(strings.Repeat(row+", ", eventsPerInsert), ", ")
	if s.insertMany, err = s.writer.PrepareContext(ctx, many); err != nil {
		return fmt.Errorf("prepare event insert: %w", err)
	}
	return nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.insertOne, s.insertMany} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	errs = append(errs, s.writer.Close())
	return errors.Join(errs...)
}

// Epoch is the random id created with the database. A new database (the old
// one deleted) has a new epoch, so clients holding old event ids reset.
func (s *Store) Epoch() string { return s.epoch }

// NewID returns a new id with the given prefix, ordered by creation time.
func (s *Store) NewID(prefix string) string { return s.ids.next(prefix) }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.ids.now() }

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

func (s *Store) currentVersion(ctx context.Context) (int, error) {
	var n int
	err := s.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'`).Scan(&n)
	if err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt) {
			return 0, fmt.Errorf("database %s is corrupt (%v); it was left untouched", s.path, err)
		}
		return 0, fmt.Errorf("read schema of %s: %w", s.path, err)
	}
	if n == 0 {
		return 0, nil
	}
	var v string
	err = s.writer.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='schema_version'`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	return strconv.Atoi(v)
}

func (s *Store) migrate(ctx context.Context, existed bool) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	have, err := s.currentVersion(ctx)
	if err != nil {
		return err
	}
	want := ms[len(ms)-1].version
	if have > want {
		return fmt.Errorf("%w: %s has schema %d, this build knows up to %d; upgrade Holdfast (the file was left untouched)", ErrSchemaTooNew, s.path, have, want)
	}
	if have == want {
		return nil
	}
	if existed {
		if err := s.backup(ctx, have); err != nil {
			return err
		}
	}
	// Migrations rebuild tables, and dropping an old table must not
	// cascade to the rows copied out of it: foreign keys are off while
	// they run (the pragma has no effect inside a transaction) and are
	// checked before the commit. The writer pool is one connection, so
	// the pragma applies to the transaction below.
	if _, err := s.writer.ExecContext(ctx, `PRAGMA foreign_keys=OFF`); err != nil {
		return fmt.Errorf("prepare migration: %w", err)
	}
	defer s.writer.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys=ON`)
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	if have == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('epoch', ?), ('trimmed_through', '0')`, newEpoch()); err != nil {
			return fmt.Errorf("create epoch: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('schema_version', ?)
		ON CONFLICT(key) DO UPDATE SET value=excluded.value`, strconv.Itoa(want)); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	if err := checkForeignKeys(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}

// checkForeignKeys fails if any row refers to a row that does not exist.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("check migrated data: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		_ = rows.Scan(&table, &rowid, &parent, &fk)
		return fmt.Errorf("migrated data is inconsistent: a row of %s (rowid %d) refers to a missing row of %s; the file was left as it was", table, rowid.Int64, parent)
	}
	return rows.Err()
}

// checkFTS5 refuses a build whose SQLite lacks FTS5: search, and the
// schema itself, need it. mattn/go-sqlite3 compiles it in only with the
// sqlite_fts5 build tag.
func checkFTS5(ctx context.Context) error {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		return fmt.Errorf("check SQLite features: %w", err)
	}
	defer db.Close()
	var on int
	if err := db.QueryRowContext(ctx, `SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&on); err != nil {
		return fmt.Errorf("check SQLite features: %w", err)
	}
	if on != 1 {
		return ErrNoFTS5
	}
	return nil
}

// backup copies the database aside (a consistent copy, WAL included)
// before a migration touches it.
func (s *Store) backup(ctx context.Context, version int) error {
	dst := fmt.Sprintf("%s.v%d-%s.bak", s.path, version, time.Now().UTC().Format("20060102T150405Z"))
	if _, err := s.writer.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("back up %s before migrating: %w", s.path, err)
	}
	return nil
}

func newEpoch() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(err)
	}
	return hex.EncodeToString(b)
}
