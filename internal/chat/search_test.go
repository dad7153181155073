package chat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast-chat/holdfast/internal/store"
)

// Many writers at once (sends, regenerations, edits, deletes, answers
// streaming) and readers searching meanwhile: the index ends holding
// exactly the settled messages, and every search along the way works.
func TestSearchIndexInStepUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "", 3000)
	const writers, rounds = 4, 6
	var sessions []store.Session
	for i := 0; i < writers; i++ {
		s, err := e.svc.CreateSession(ctx, NewSession{})
		must(t, err)
		sessions = append(sessions, s)
	}
	done := make(chan struct{})
	var readerErr error
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		q, _ := store.ParseQuery("marker")
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := e.st.SearchMessages(ctx, store.SearchRequest{Query: q, Limit: 50}); err != nil {
				readerErr = err
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*4)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sess := sessions[w]
			var last Sent
			for i := 0; i < rounds; i++ {
				// Echo prompts answer with their own text; the demo's own
				// answers are longer and stream for a while.
				content := fmt.Sprintf("/echo marker-%d-%d and some words", w, i)
				if i%3 == 2 {
					content = fmt.Sprintf("marker-%d-%d a longer answer", w, i)
				}
				sent, err := e.svc.Send(ctx, SendRequest{SessionID: sess.ID, Content: content, ClientID: fmt.Sprintf("c%d-%d", w, i)})
				if err != nil {
					errs <- err
					return
				}
				switch i % 4 {
				case 1:
					_, _, err = e.svc.Regenerate(ctx, sent.Assistant.ID, "", "")
				case 2:
					if last.User.ID != "" {
						_, err = e.svc.Edit(ctx, last.User.ID, fmt.Sprintf("/echo marker-%d-%d edited", w, i), "")
					}
				case 3:
					_, err = e.svc.Delete(ctx, sent.User.ID)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d round %d: %w", w, i, err)
				}
				last = sent
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Let every answer settle.
	deadline := time.Now().Add(60 * time.Second)
	for {
		left, err := e.st.StreamingMessages(ctx)
		must(t, err)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d answers still streaming", len(left))
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(done)
	readers.Wait()
	if readerErr != nil {
		t.Fatalf("a search during the writes failed: %v", readerErr)
	}
	if err := e.st.CheckSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	// Every marker is found exactly where the text is.
	for w := 0; w < writers; w++ {
		msgs, err := e.st.ListAllMessages(ctx, sessions[w].ID)
		must(t, err)
		for i := 0; i < rounds; i++ {
			marker := fmt.Sprintf("marker-%d-%d", w, i)
			want := 0
			for _, m := range msgs {
				if strings.Contains(m.Content, marker+" ") || strings.HasSuffix(m.Content, marker) {
					want++
				}
			}
			q, _ := store.ParseQuery(`"` + marker + ` "`)
			page, err := e.st.SearchMessages(ctx, store.SearchRequest{Query: q, Limit: 100})
			must(t, err)
			if len(page.Hits) != want {
				t.Errorf("%s: %d hits; the messages hold it %d times", marker, len(page.Hits), want)
			}
		}
	}
}
