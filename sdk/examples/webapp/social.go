package main

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	eventv1 "github.com/footprint/footprint/gen/footprint/event/v1"
	footprint "github.com/footprint/footprint/sdk"
)

// postAuthor is the demo user who wrote every blog post: the recipient of
// the notifications the comment and like actions make (the notifier's
// rules read recipient_user_id, actor_name, post_id and post_title).
const postAuthor = "grace"

// socialRoutes adds the comment and like actions of the blog:
//
//	POST /blog/{slug}/comments  user=<id>&name=<display name>&text=<comment>
//	POST /blog/{slug}/likes     user=<id>&name=<display name>
//
// Each records comment_created or like_created through the SDK and
// redirects back to the post. The acting user comes from the form, as a
// logged-in session would provide it.
func socialRoutes(mux *http.ServeMux, client *footprint.Client) {
	mux.HandleFunc("POST /blog/{slug}/comments", func(w http.ResponseWriter, r *http.Request) {
		social(w, r, client, "comment_created", func(p map[string]string, form func(string) string) {
			p["comment_id"] = randomID()
			p["comment_length"] = strconv.Itoa(len(form("text")))
		})
	})
	mux.HandleFunc("POST /blog/{slug}/likes", func(w http.ResponseWriter, r *http.Request) {
		social(w, r, client, "like_created", nil)
	})
}

func social(w http.ResponseWriter, r *http.Request, client *footprint.Client, name string, extra func(map[string]string, func(string) string)) {
	slug := r.PathValue("slug")
	title, ok := posts[slug]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("user"))
	if user == "" {
		http.Error(w, "user is required (sign in first)", http.StatusUnauthorized)
		return
	}
	actorName := strings.TrimSpace(r.PostForm.Get("name"))
	if actorName == "" {
		actorName = user
	}
	props := map[string]string{"recipient_user_id": postAuthor, "actor_name": actorName, "post_id": slug, "post_title": title}
	if extra != nil {
		extra(props, r.PostForm.Get)
	}
	visitor := ""
	if c, err := r.Cookie(visitorCookie); err == nil {
		visitor = c.Value
	}
	ev := &eventv1.Event{Name: name, UserId: user, VisitorId: visitor, Properties: props,
		Page: &eventv1.Page{Url: "http://" + r.Host + "/blog/" + slug, Path: "/blog/" + slug, Title: title}}
	if err := client.Track(r.Context(), ev); err != nil {
		http.Error(w, "could not record the action", http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/blog/"+slug, http.StatusSeeOther)
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
