// The "Share" button of a commendation's page (templates/emulation/honour.html): where the browser has
// the Web Share API (phones), it opens the phone's share sheet — with the card image when the browser
// can share files, else the link. Elsewhere the button stays hidden and the page's own "Copy link" and
// "Download image" do the work (they need no script to be seen). No inline script: the CSP forbids it.
(function () {
  "use strict";
  const box = document.getElementById("share");
  const button = document.getElementById("share-button");
  if (!box || !button || typeof navigator.share !== "function") return;
  const status = document.getElementById("share-status");
  const data = { title: box.dataset.title, text: box.dataset.text, url: box.dataset.url };
  let file = null;  // fetched ahead, so the share starts in the tap itself (browsers ask for that)
  if (typeof navigator.canShare === "function" && typeof File === "function") {
    fetch(box.dataset.image, { credentials: "omit" })
      .then((r) => (r.ok ? r.blob() : null))
      .then((blob) => {
        const f = blob && new File([blob], "vinh-danh.png", { type: "image/png" });
        if (f && navigator.canShare({ files: [f] })) file = f;
      })
      .catch(() => {});
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    const shared = file ? Object.assign({ files: [file] }, data) : data;
    navigator.share(shared).then(() => { if (status) status.textContent = box.dataset.shared; })
      .catch((err) => {
        if (err && err.name === "AbortError") return;  // the person closed the share sheet
        if (file) navigator.share(data).catch(() => {});  // some apps take a link but not a file
      });
  });
})();
