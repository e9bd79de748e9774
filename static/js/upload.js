// Upload with a progress bar: the bytes sent, then "checking" while the server reads the rows.
// Without JavaScript the form posts normally; with it, the result page replaces this one.
(function () {
  "use strict";
  const form = document.getElementById("upload");
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  const say = (s) => { text.hidden = false; text.textContent = s; };
  form.addEventListener("submit", (event) => {
    const input = form.querySelector("input[type=file]");
    if (!input.files.length) return;  // let the server say the file is missing
    event.preventDefault();
    const button = document.getElementById("send");
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || location.href);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round((100 * e.loaded) / e.total);
      say(`${form.dataset.sending || ""} ${bar.value}%`.trim());
    });
    xhr.upload.addEventListener("load", () => { bar.removeAttribute("value"); say(form.dataset.checking || "…"); });
    xhr.addEventListener("load", () => {
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== location.href) {
        location.assign(xhr.responseURL);
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      bar.hidden = true;
      say(form.dataset.failed || "Network error");
    });
    xhr.send(new FormData(form));
  });
})();
